// Boots the Vitrine viewer: fetches main.wasm and runs it with Go's
// wasm_exec.js runtime. The Go program takes over the page from there.
(function () {
  "use strict";
  function fail(err) {
    console.error("vitrine: viewer failed to start", err);
    document.body.dataset.state = "error";
    var status = document.getElementById("status");
    if (status) status.textContent = "The viewer could not start. Please reload the page.";
    var grid = document.getElementById("result-count");
    if (grid) grid.textContent = "The viewer could not start: " + (err && err.message ? err.message : err);
  }
  if (typeof WebAssembly !== "object" || typeof Go !== "function") {
    fail(new Error("this browser does not support WebAssembly"));
    return;
  }
  var go = new Go();
  var url = "/web/main.wasm";
  var load = WebAssembly.instantiateStreaming
    ? WebAssembly.instantiateStreaming(fetch(url), go.importObject).catch(function () {
        // Served without application/wasm: fall back to a plain fetch.
        return fetch(url).then(function (r) { return r.arrayBuffer(); })
          .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
      })
    : fetch(url).then(function (r) { return r.arrayBuffer(); })
        .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
  load.then(function (result) {
    return go.run(result.instance);
  }).then(function () {
    if (document.body.dataset.state !== "error") fail(new Error("the viewer stopped"));
  }, fail);
})();
