// The query page: runs the editor's query against /sparql and shows the results as a table.
// Results are built with DOM nodes and textContent only, so nothing from the data is parsed as HTML.
"use strict";

(() => {
  const form = document.getElementById("query-form");
  if (!form) return;
  const base = form.dataset.base;
  const lang = form.dataset.lang;
  const editor = document.getElementById("query");
  const results = document.getElementById("results");
  const status = document.getElementById("status");
  const downloads = document.getElementById("downloads");
  const RESULT_FORMATS = [["json", "JSON"], ["xml", "XML"], ["csv", "CSV"], ["tsv", "TSV"]];
  const GRAPH_FORMATS = [["turtle", "Turtle"], ["jsonld", "JSON-LD"], ["ntriples", "N-Triples"], ["rdfxml", "RDF/XML"]];

  function localHref(iri) {
    if (iri.startsWith(base)) {
      const rest = iri.slice(base.length);
      if (/^(id\/|def|graph\/)/.test(rest)) return "/" + rest + "?lang=" + encodeURIComponent(lang);
    }
    return iri;
  }

  function shortIri(iri) {
    return iri.startsWith(base) ? iri.slice(base.length) : iri;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.href = localHref(term.value);
      a.textContent = shortIri(term.value);
      a.title = term.value;
      a.dir = "ltr";
      if (!a.getAttribute("href").startsWith("/")) a.className = "external";
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      const span = document.createElement("span");
      span.textContent = term.value;
      if (term["xml:lang"]) span.lang = term["xml:lang"];
      span.dir = "auto";
      td.appendChild(span);
    }
    return td;
  }

  function table(data) {
    const vars = data.head.vars || [];
    const t = document.createElement("table");
    t.className = "results";
    const head = t.createTHead().insertRow();
    for (const v of vars) {
      const th = document.createElement("th");
      th.textContent = "?" + v;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const binding of data.results.bindings) {
      const row = body.insertRow();
      for (const v of vars) row.appendChild(cell(binding[v]));
    }
    return t;
  }

  function showDownloads(query, kind) {
    downloads.textContent = "";
    const label = document.createElement("span");
    label.textContent = downloads.dataset.label + ": ";
    downloads.appendChild(label);
    const formats = kind === "graph" ? GRAPH_FORMATS : RESULT_FORMATS;
    formats.forEach(([format, name], i) => {
      if (i) downloads.appendChild(document.createTextNode(" · "));
      const a = document.createElement("a");
      a.href = "/sparql?" + new URLSearchParams({ query, format });
      a.textContent = name;
      a.className = "download";
      downloads.appendChild(a);
    });
  }

  async function run() {
    const query = editor.value;
    status.textContent = "…";
    results.textContent = "";
    const started = performance.now();
    let response;
    try {
      response = await fetch("/sparql", {
        method: "POST",
        headers: {
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ query }),
      });
    } catch (err) {
      status.textContent = String(err);
      return;
    }
    const type = response.headers.get("content-type") || "";
    if (!response.ok) {
      const pre = document.createElement("pre");
      pre.className = "problem";
      if (type.includes("json")) {
        const problem = await response.json();
        pre.textContent = (problem.title || response.status) + ": " + (problem.detail || "");
      } else {
        pre.textContent = response.status + " " + (await response.text());
      }
      results.appendChild(pre);
      status.textContent = "";
      return;
    }
    const elapsed = Math.round(performance.now() - started) + " ms";
    if (type.includes("sparql-results+json")) {
      const data = await response.json();
      if ("boolean" in data) {
        const p = document.createElement("p");
        p.className = "boolean";
        p.textContent = String(data.boolean);
        results.appendChild(p);
        status.textContent = elapsed;
      } else if (data.results.bindings.length === 0) {
        const p = document.createElement("p");
        p.textContent = form.dataset.empty;
        results.appendChild(p);
        status.textContent = elapsed;
      } else {
        results.appendChild(table(data));
        status.textContent = data.results.bindings.length + " · " + elapsed;
      }
      showDownloads(query, "results");
    } else {
      const pre = document.createElement("pre");
      pre.className = "graph";
      pre.textContent = await response.text();
      results.appendChild(pre);
      status.textContent = elapsed;
      showDownloads(query, "graph");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  for (const button of document.querySelectorAll("button.example")) {
    button.addEventListener("click", () => {
      editor.value = button.dataset.query;
      history.replaceState(null, "", "/query?" + new URLSearchParams({ query: editor.value, lang }));
      run();
    });
  }
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  if (new URLSearchParams(location.search).has("query")) run();
})();
