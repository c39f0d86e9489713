// Vitrine merchant console: a plain page (no build step) over the merchant
// API under /api/v1/. It signs in with a merchant token kept in
// sessionStorage, lists the merchant's products, creates and edits them,
// uploads models and photos with real progress (XMLHttpRequest upload
// events), follows processing by polling, lays out the processing report
// and previews the model in the shop viewer.
//
// The file has four parts: pure formatting and parsing (exposed on
// window.vitrineMerchant for the browser tests), the API client, small DOM
// helpers, and the Console controller that owns all state.

// ---------------------------------------------------------------------------
// Pure helpers

/** Largest declared-vs-measured difference, in percent, the pipeline accepts. */
export const MISMATCH_LIMIT_PCT = 2;

/** Milliseconds between polls of a product that is processing. */
export const POLL_INTERVAL_MS = 1500;

const TOKEN_KEY = "vitrine.merchantToken";
const STATUSES = ["pending", "processing", "ready", "failed"];
const STATUS_LABELS = { pending: "Pending", processing: "Processing", ready: "Ready", failed: "Failed" };
const STATUS_SPOKEN = {
  pending: "pending: no model yet",
  processing: "processing",
  ready: "ready",
  failed: "failed",
};

// "error CODE at /pointer: message — explanation" (the report's problems)
// and "error CODE /pointer: message" (a refused upload's details).
const PROBLEM_LINE = /^(error|warning|info|hint)\s+([A-Z][A-Z0-9_]*)(?:\s+(?:at\s+)?(\/\S*))?:\s+([\s\S]+)$/;
const EXPLANATION_SEPARATOR = " — ";

/**
 * parseProblem splits one problem line into its parts, or returns null when
 * the line has another shape (it is then shown as it is).
 * @returns {{severity:string, code:string, pointer:string, message:string, explanation:string}|null}
 */
export function parseProblem(line) {
  const m = PROBLEM_LINE.exec(String(line).trim());
  if (!m) return null;
  let message = m[4];
  let explanation = "";
  const cut = message.lastIndexOf(EXPLANATION_SEPARATOR);
  if (cut >= 0) {
    explanation = message.slice(cut + EXPLANATION_SEPARATOR.length).trim();
    message = message.slice(0, cut);
  }
  return { severity: m[1], code: m[2], pointer: m[3] || "", message: message.trim(), explanation };
}

const LEVEL_NOTE = /^level (\d+): (\d+) triangles, (\d+) vertices, (\d+) bytes, poster difference ([0-9.eE+-]+)$/;

/**
 * parseLevelNote reads a report note "level N: T triangles, V vertices,
 * B bytes, poster difference D", or returns null for any other note.
 */
export function parseLevelNote(note) {
  const m = LEVEL_NOTE.exec(String(note).trim());
  if (!m) return null;
  return {
    level: Number(m[1]),
    triangles: Number(m[2]),
    vertices: Number(m[3]),
    sizeBytes: Number(m[4]),
    posterDifference: Number(m[5]),
  };
}

const POINTER_NAMES = {
  accessors: "accessor", animations: "animation", buffers: "buffer", bufferViews: "buffer view",
  cameras: "camera", channels: "channel", images: "image", materials: "material", meshes: "mesh",
  nodes: "node", primitives: "primitive", samplers: "sampler", scenes: "scene", skins: "skin",
  targets: "morph target", textures: "texture", children: "child",
};

/**
 * describePointer turns a JSON pointer such as /meshes/0/primitives/1/indices
 * into words: "mesh 0 › primitive 1 › indices".
 */
export function describePointer(pointer) {
  if (!pointer || pointer === "/") return "the whole file";
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const words = [];
  for (let i = 0; i < parts.length; i++) {
    const name = POINTER_NAMES[parts[i]];
    if (name && i + 1 < parts.length && /^\d+$/.test(parts[i + 1])) {
      words.push(name + " " + parts[i + 1]);
      i++;
    } else {
      words.push(parts[i]);
    }
  }
  return words.join(" › ");
}

/**
 * fieldOfDetail names the form field a validation detail is about: the
 * text before its first ": " ("dimensions_m.w: must be …" → "dimensions_m.w").
 */
export function fieldOfDetail(detail) {
  const m = /^([a-z_]+(?:\.[a-z_]+)*): /.exec(String(detail));
  return m ? m[1] : "";
}

/** formatBytes gives a byte count in B, KB or MB (powers of 1024). */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return "—";
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / (1024 * 1024)).toFixed(2) + " MB";
}

/** formatCm gives a length in metres as centimetres with one decimal. */
export function formatCm(metres) {
  if (!Number.isFinite(metres) || metres <= 0) return "—";
  return (metres * 100).toFixed(1) + " cm";
}

/** axisDifferencePct is |measured − declared| / declared in percent, or NaN. */
export function axisDifferencePct(declared, measured) {
  if (!(declared > 0) || !(measured > 0)) return NaN;
  return (Math.abs(measured - declared) / declared) * 100;
}

/** formatPrice shows a price with its currency in the page's locale. */
export function formatPrice(price, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "EUR" }).format(price);
  } catch {
    return (currency || "") + " " + Number(price).toFixed(2);
  }
}

/** levelsOf merges a product's stored levels with the report's level notes. */
export function levelsOf(product) {
  const byLevel = new Map();
  const model = product && product.model;
  if (model) {
    byLevel.set(0, { level: 0, triangles: model.triangles, vertices: model.vertices, sizeBytes: model.size_bytes, posterDifference: NaN, stored: true });
    for (const l of model.lods || []) {
      if (l.level > 0) {
        byLevel.set(l.level, { level: l.level, triangles: l.triangles, vertices: l.vertices, sizeBytes: l.size_bytes, posterDifference: NaN, stored: true });
      }
    }
  }
  const notes = (product && product.report && product.report.notes) || [];
  for (const note of notes) {
    const n = parseLevelNote(note);
    if (!n) continue;
    const known = byLevel.get(n.level);
    byLevel.set(n.level, { ...n, stored: Boolean(known && known.stored) });
  }
  return [...byLevel.values()].sort((a, b) => a.level - b.level);
}

// ---------------------------------------------------------------------------
// API client

/** ApiError is a failed API call: HTTP status plus the JSON error body. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

function errorFrom(status, statusText, bodyText) {
  if (status === 0) {
    return new ApiError(0, "network", "The server could not be reached. Check your connection and try again.", []);
  }
  try {
    const e = JSON.parse(bodyText).error;
    if (e && typeof e.message === "string") {
      return new ApiError(status, e.code || "", e.message, Array.isArray(e.details) ? e.details.map(String) : []);
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return new ApiError(status, "http_" + status, `The server answered ${status} ${statusText || ""}`.trim() + ".", []);
}

/** Api calls the merchant API with a bearer token. */
class Api {
  constructor(token) {
    this.token = token;
  }

  /** json sends an optional JSON body and resolves to the parsed reply (null for 204). */
  async json(method, path, body) {
    const headers = { Authorization: "Bearer " + this.token, Accept: "application/json" };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch {
      throw errorFrom(0);
    }
    const text = await resp.text();
    if (!resp.ok) throw errorFrom(resp.status, resp.statusText, text);
    return text ? JSON.parse(text) : null;
  }

  /**
   * upload sends a file as the raw request body with XMLHttpRequest, so
   * upload progress is observable: onProgress(loaded, total) after every
   * progress event. Resolves to the parsed reply and its status.
   */
  upload(method, path, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, path);
      xhr.setRequestHeader("Authorization", "Bearer " + this.token);
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (ev) => {
        onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
      });
      xhr.upload.addEventListener("load", () => onProgress(file.size, file.size));
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve({ status: xhr.status, body: xhr.responseText ? JSON.parse(xhr.responseText) : null });
          } catch (err) {
            reject(new ApiError(xhr.status, "bad_reply", "The server's reply could not be read: " + err.message, []));
          }
          return;
        }
        reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
      });
      xhr.addEventListener("error", () => reject(errorFrom(0)));
      xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "The upload was cancelled.", [])));
      xhr.send(file);
    });
  }

  products() { return this.json("GET", "/api/v1/products"); }
  product(sku) { return this.json("GET", "/api/v1/products/" + encodeURIComponent(sku)); }
  save(input) { return this.json("POST", "/api/v1/products", input); }
  remove(sku) { return this.json("DELETE", "/api/v1/products/" + encodeURIComponent(sku)); }
  putModel(sku, file, onProgress) { return this.upload("PUT", "/api/v1/products/" + encodeURIComponent(sku) + "/model", file, onProgress); }
  postImage(sku, file, onProgress) { return this.upload("POST", "/api/v1/products/" + encodeURIComponent(sku) + "/images", file, onProgress); }
}

// ---------------------------------------------------------------------------
// DOM helpers

const $ = (id) => document.getElementById(id);

/** h makes an element: h("td", {class: "num"}, "text", child, …). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(el, visible) { el.hidden = !visible; }

function statusBadge(status) {
  const known = STATUSES.includes(status) ? status : "pending";
  return h("span", { class: "badge-status", "data-status": known }, STATUS_LABELS[known] || status);
}

/** errorNotice fills a notice with an error's message and each detail line. */
function errorNotice(el, err, intro) {
  el.textContent = "";
  el.append(h("p", {}, intro ? intro + " " + err.message : err.message));
  if (err.details && err.details.length) {
    el.append(h("ul", { class: "details" }, err.details.map((d) => h("li", {}, d))));
  }
  show(el, true);
}

function clearNotice(el) {
  el.textContent = "";
  show(el, false);
}

/** problemsTable lays out problem lines; lines of another shape span the row. */
function problemsTable(lines) {
  const body = h("tbody");
  for (const line of lines) {
    const p = parseProblem(line);
    if (!p) {
      body.append(h("tr", { class: "raw" }, h("td", { colspan: 4 }, line)));
      continue;
    }
    body.append(
      h("tr", { "data-code": p.code },
        h("td", {}, h("span", { class: "sev sev-" + p.severity }, p.severity), h("code", { class: "code" }, p.code)),
        h("td", {}, wherePointer(p.pointer)),
        h("td", {}, p.message),
        h("td", {}, p.explanation || "—")),
    );
  }
  return body;
}

/** problemsList lays out problem lines as a list, for narrow places. */
function problemsList(lines) {
  return h("ul", { class: "problem-list" }, lines.map((line) => {
    const p = parseProblem(line);
    if (!p) return h("li", { class: "raw" }, line);
    return h("li", { "data-code": p.code },
      h("p", { class: "problem-head" },
        h("span", { class: "sev sev-" + p.severity }, p.severity), " ",
        h("code", { class: "code-inline" }, p.code), " · ",
        p.pointer ? h("code", {}, p.pointer) : "the whole file",
        p.pointer && describePointer(p.pointer) !== p.pointer.slice(1) ? " (" + describePointer(p.pointer) + ")" : ""),
      h("p", { class: "problem-message" }, p.message),
      p.explanation ? h("p", { class: "problem-explanation" }, p.explanation) : null);
  }));
}

/** wherePointer shows a JSON pointer and, when they say more, its words. */
function wherePointer(pointer) {
  const words = describePointer(pointer);
  if (!pointer) return h("span", { class: "where" }, words);
  const cell = [h("code", { class: "pointer" }, pointer)];
  if (words !== pointer.slice(1)) cell.push(h("span", { class: "where" }, words));
  return cell;
}

/** keepFocus re-focuses the element with the same id or data-focus key after fn re-renders it. */
function keepFocus(fn) {
  const active = document.activeElement;
  const key = active && (active.id ? "#" + CSS.escape(active.id) : active.dataset && active.dataset.focus ? `[data-focus="${CSS.escape(active.dataset.focus)}"]` : "");
  fn();
  if (key && active && !active.isConnected) {
    const again = document.querySelector(key);
    if (again) again.focus();
  }
}

// ---------------------------------------------------------------------------
// The console

class Console {
  constructor() {
    this.api = null;
    this.session = 0; // bumped on sign-in and sign-out, so stale replies are dropped
    this.products = new Map(); // sku → product
    this.openSku = "";
    this.editSku = "";
    this.pollTimer = 0;
    this.previewTimer = 0;
    this.busy = { model: false, photo: false };
    this.modelSentBytes = 0;
    this.milestones = { model: new Set(), photo: new Set() };
    this.progressLog = []; // every upload progress event, for tests
    this.statusHistory = new Map(); // sku → the statuses seen, in order, for tests
    this.announcements = []; // everything said in the live region, for tests
  }

  start() {
    $("signin-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.signIn($("token").value.trim()); });
    $("sign-out").addEventListener("click", () => this.signOut("You are signed out."));
    $("refresh").addEventListener("click", () => this.refresh(true));
    $("new-product").addEventListener("click", () => { location.hash = "#/new"; });
    $("detail-edit").addEventListener("click", () => { location.hash = "#/edit/" + encodeURIComponent(this.openSku); });
    $("detail-delete").addEventListener("click", () => this.deleteOpen());
    $("product-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.submitProduct(); });
    $("f-placement").addEventListener("change", () => this.syncFrameFields());
    $("preview-close").addEventListener("click", () => this.closePreview());
    window.addEventListener("hashchange", () => this.route());
    this.wireUpload("model", $("model-drop"), $("model-file"), (files) => this.uploadModel(files[0]));
    this.wireUpload("photo", $("photo-drop"), $("photo-file"), (files) => this.uploadPhotos(files));

    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) {
      this.signIn(saved, { quiet: true });
    } else {
      this.showSignIn();
    }
  }

  announce(message) {
    this.announcements.push(message);
    const live = $("announcer");
    live.textContent = "";
    // A fresh text node in a later task is announced even when it repeats.
    setTimeout(() => { live.textContent = message; }, 50);
  }

  // --- Sign in and out -----------------------------------------------------

  showSignIn(message) {
    document.body.dataset.state = "signin";
    show($("signin-view"), true);
    show($("console-view"), false);
    show($("account"), false);
    $("token-error").textContent = message || "";
    $("token").setAttribute("aria-invalid", message ? "true" : "false");
    $("token").focus();
  }

  async signIn(token, { quiet = false } = {}) {
    if (!token) {
      this.showSignIn("Enter your merchant token.");
      return;
    }
    const submit = $("signin-submit");
    submit.disabled = true;
    const api = new Api(token);
    const session = ++this.session;
    try {
      const reply = await api.products();
      if (session !== this.session) return;
      this.api = api;
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      this.setProducts(reply.products || []);
      show($("signin-view"), false);
      show($("console-view"), true);
      show($("account"), true);
      $("account-name").textContent = "Signed in";
      this.showMerchant(reply.products && reply.products[0]);
      document.body.dataset.state = "console";
      this.route();
      if (!quiet) this.announce(`Signed in. You have ${this.products.size} product${this.products.size === 1 ? "" : "s"}.`);
    } catch (err) {
      if (session !== this.session) return;
      sessionStorage.removeItem(TOKEN_KEY);
      if (err.status === 401) {
        this.showSignIn(quiet ? "Your session ended: the token is no longer accepted. Sign in again." : "This token was not accepted. Check it and try again.");
      } else {
        this.showSignIn(err.message);
      }
    } finally {
      submit.disabled = false;
    }
  }

  signOut(message) {
    this.session++;
    this.api = null;
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(this.pollTimer);
    this.pollTimer = 0;
    this.closePreview();
    this.products.clear();
    this.openSku = "";
    $("products-body").textContent = "";
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    this.showSignIn(message === "You are signed out." ? "" : message);
    this.announce(message);
  }

  /** failed handles an API error common to every call; true when it was handled here. */
  failed(err) {
    if (err.status === 401) {
      this.signOut("Your token is no longer accepted (it may have been revoked). Sign in again.");
      return true;
    }
    return false;
  }

  // --- Routing: #/ list, #/new, #/edit/{sku}, #/p/{sku} ---------------------

  route() {
    if (!this.api) return;
    const hash = location.hash.replace(/^#\/?/, "");
    const [view, ...rest] = hash.split("/");
    const sku = decodeURIComponent(rest.join("/"));
    show($("products-section"), false);
    show($("editor-section"), false);
    show($("detail-section"), false);
    if (view !== "p") this.closePreview();
    if (view === "new") {
      this.openEditor(null);
    } else if (view === "edit" && this.products.has(sku)) {
      this.openEditor(this.products.get(sku));
    } else if (view === "p" && this.products.has(sku)) {
      this.openDetail(sku);
    } else {
      this.openSku = "";
      show($("products-section"), true);
      this.renderList();
      $("products-heading").setAttribute("tabindex", "-1");
      if (view) $("products-heading").focus();
    }
  }

  // --- Product list ----------------------------------------------------------

  /** showMerchant names the signed-in merchant once a product tells who it is. */
  showMerchant(p) {
    if (p && p.merchant) $("account-name").textContent = "Signed in as " + p.merchant;
  }

  /** noteStatus records a product's status when it differs from the last one seen. */
  noteStatus(p) {
    const seen = this.statusHistory.get(p.sku) || [];
    if (seen[seen.length - 1] !== p.status) seen.push(p.status);
    this.statusHistory.set(p.sku, seen);
  }

  setProducts(list) {
    this.products = new Map(list.map((p) => [p.sku, p]));
    list.forEach((p) => this.noteStatus(p));
    this.renderList();
    this.schedulePoll();
  }

  async refresh(announce) {
    const session = this.session;
    clearNotice($("products-error"));
    try {
      const reply = await this.api.products();
      if (session !== this.session) return;
      this.setProducts(reply.products || []);
      if (announce) this.announce(`Product list refreshed: ${this.products.size} product${this.products.size === 1 ? "" : "s"}.`);
    } catch (err) {
      if (session !== this.session || this.failed(err)) return;
      errorNotice($("products-error"), err, "The products could not be loaded.");
    }
  }

  renderList() {
    const body = $("products-body");
    const sorted = [...this.products.values()].sort((a, b) => a.name.localeCompare(b.name) || a.sku.localeCompare(b.sku));
    keepFocus(() => {
      body.textContent = "";
      for (const p of sorted) body.append(this.row(p));
    });
    show($("products-empty"), sorted.length === 0);
    show($("products-table"), sorted.length > 0);
    $("products-count").textContent = sorted.length ? `${sorted.length} product${sorted.length === 1 ? "" : "s"}` : "";
  }

  row(p) {
    const thumb = p.poster_url
      ? h("img", { class: "thumb", src: p.poster_url, alt: "", loading: "lazy", width: 52, height: 52 })
      : h("span", { class: "thumb thumb-empty", "aria-hidden": "true" }, "—");
    return h("tr", { "data-sku": p.sku, "data-status": p.status, "aria-current": p.sku === this.openSku ? "true" : null },
      h("td", {}, thumb),
      h("td", {}, h("a", { class: "product-link", href: "#/p/" + encodeURIComponent(p.sku), "data-focus": "row-" + p.sku }, p.name)),
      h("td", {}, h("span", { class: "sku" }, p.sku)),
      h("td", {}, statusBadge(p.status)),
      h("td", { class: "num" }, String(p.version)));
  }

  /** updateProduct records a newer copy of a product and refreshes what shows it. */
  updateProduct(p) {
    const before = this.products.get(p.sku);
    this.products.set(p.sku, p);
    this.noteStatus(p);
    const row = document.querySelector(`#products-body tr[data-sku="${CSS.escape(p.sku)}"]`);
    if (row) keepFocus(() => row.replaceWith(this.row(p)));
    else this.renderList();
    if (p.sku === this.openSku && (!before || before.version !== p.version || before.status !== p.status)) {
      this.renderDetail(p);
    }
    if (before && before.status !== p.status && p.sku === this.openSku && before.status === "processing" &&
        $("model-transfer").dataset.state === "done") {
      const sent = `${formatBytes(this.modelSentBytes)} of ${formatBytes(this.modelSentBytes)} sent (100 %).`;
      $("model-progress-text").textContent = p.status === "ready"
        ? sent + " Processed: the model is ready; see the report below."
        : sent + " Processing failed; see the report below.";
    }
    if (before && before.status !== p.status) {
      let msg = `${p.name}: ${STATUS_SPOKEN[p.status] || p.status}.`;
      if (p.status === "ready" && before.status === "processing") msg = `${p.name} is ready: levels of detail, poster and views are made.`;
      if (p.status === "failed") {
        const n = (p.report && p.report.problems && p.report.problems.length) || 0;
        msg = `${p.name}: processing failed with ${n} problem${n === 1 ? "" : "s"}. See the report.`;
      }
      this.announce(msg);
    }
    this.schedulePoll();
  }

  // --- Polling while processing ----------------------------------------------

  schedulePoll() {
    if (this.pollTimer || !this.api) return;
    if (![...this.products.values()].some((p) => p.status === "processing")) return;
    this.pollTimer = setTimeout(() => this.pollOnce(), POLL_INTERVAL_MS);
  }

  async pollOnce() {
    this.pollTimer = 0;
    const session = this.session;
    const processing = [...this.products.values()].filter((p) => p.status === "processing");
    for (const p of processing) {
      try {
        const fresh = await this.api.product(p.sku);
        if (session !== this.session) return;
        this.updateProduct(fresh);
      } catch (err) {
        if (session !== this.session || this.failed(err)) return;
        if (err.status === 404) {
          this.products.delete(p.sku);
          this.renderList();
        }
        // Other errors (a restart, a blip): try again on the next tick.
      }
    }
    this.schedulePoll();
  }

  // --- Create and edit ---------------------------------------------------------

  openEditor(p) {
    this.editSku = p ? p.sku : "";
    const form = $("product-form");
    form.reset();
    this.clearFieldErrors();
    clearNotice($("form-error"));
    $("editor-heading").textContent = p ? "Edit " + p.name : "New product";
    $("product-submit").textContent = p ? "Save details" : "Create product";
    $("editor-cancel").href = p ? "#/p/" + encodeURIComponent(p.sku) : "#/";
    $("editor-back").href = $("editor-cancel").href;
    const sku = $("f-sku");
    sku.readOnly = Boolean(p);
    if (p) {
      sku.value = p.sku;
      $("f-name").value = p.name;
      $("f-category").value = p.category;
      $("f-description").value = p.description || "";
      $("f-price").value = p.price;
      $("f-currency").value = p.currency;
      $("f-w").value = p.dimensions_m.w;
      $("f-h").value = p.dimensions_m.h;
      $("f-d").value = p.dimensions_m.d;
      $("f-placement").value = p.placement;
      if (p.frame) {
        $("f-lens").value = p.frame.lens_width_mm;
        $("f-bridge").value = p.frame.bridge_mm;
        $("f-temple").value = p.frame.temple_mm;
      }
    }
    this.syncFrameFields();
    show($("editor-section"), true);
    $("editor-heading").focus();
  }

  syncFrameFields() {
    show($("frame-fields"), $("f-placement").value === "face");
  }

  /** formInput reads the form into the API's product input. */
  formInput() {
    const num = (id) => {
      const v = $(id).value.trim();
      return v === "" ? 0 : Number(v);
    };
    const input = {
      sku: $("f-sku").value.trim(),
      name: $("f-name").value.trim(),
      category: $("f-category").value.trim(),
      description: $("f-description").value.trim(),
      price: num("f-price"),
      currency: $("f-currency").value.trim().toUpperCase(),
      dimensions_m: { w: num("f-w"), h: num("f-h"), d: num("f-d") },
      placement: $("f-placement").value,
    };
    const frameGiven = ["f-lens", "f-bridge", "f-temple"].some((id) => $(id).value.trim() !== "");
    if (input.placement === "face" && frameGiven) {
      input.frame = { lens_width_mm: num("f-lens"), bridge_mm: num("f-bridge"), temple_mm: num("f-temple") };
    }
    return input;
  }

  clearFieldErrors() {
    for (const el of document.querySelectorAll("#product-form [data-field]")) {
      el.removeAttribute("aria-invalid");
    }
    for (const el of document.querySelectorAll("#product-form .field-error")) el.textContent = "";
  }

  /** showFieldErrors puts each detail next to the field it names; the rest go on top. Returns the first invalid control. */
  showFieldErrors(details) {
    const unplaced = [];
    let first = null;
    for (const detail of details) {
      const field = fieldOfDetail(detail);
      const control = field && document.querySelector(`#product-form [data-field="${CSS.escape(field)}"]`);
      if (!control) {
        unplaced.push(detail);
        continue;
      }
      control.setAttribute("aria-invalid", "true");
      const errorEl = $(control.getAttribute("aria-describedby").split(" ").find((id) => id.endsWith("-error")));
      const text = detail.slice(field.length + 2);
      errorEl.textContent = errorEl.textContent ? errorEl.textContent + " " + text : text;
      if (!first) first = control.tagName === "FIELDSET" ? control.querySelector("input") : control;
    }
    return { first, unplaced };
  }

  async submitProduct() {
    const input = this.formInput();
    const submit = $("product-submit");
    this.clearFieldErrors();
    clearNotice($("form-error"));
    if (!this.editSku && this.products.has(input.sku)) {
      // POST with a known SKU updates that product: never do it by accident.
      const { first } = this.showFieldErrors([`sku: you already have a product with this SKU (${this.products.get(input.sku).name}); open it and use “Edit details” to change it`]);
      first.focus();
      this.announce("The product was not saved: that SKU is already used.");
      return;
    }
    submit.disabled = true;
    const session = this.session;
    try {
      const saved = await this.api.save(input);
      if (session !== this.session) return;
      const created = !this.products.has(saved.sku);
      this.products.set(saved.sku, saved);
      this.noteStatus(saved);
      this.showMerchant(saved);
      this.renderList();
      this.announce(created ? `Created ${saved.name}. Now upload its 3D model.` : `Saved the details of ${saved.name}.`);
      location.hash = "#/p/" + encodeURIComponent(saved.sku);
    } catch (err) {
      if (session !== this.session || this.failed(err)) return;
      const { first, unplaced } = this.showFieldErrors(err.details || []);
      if (unplaced.length || !first) {
        errorNotice($("form-error"), { message: err.message, details: unplaced });
      }
      const n = (err.details || []).length;
      this.announce(n ? `The product was not saved: ${n} problem${n === 1 ? "" : "s"} to fix.` : `The product was not saved: ${err.message}`);
      if (first) {
        first.focus();
      } else {
        $("form-error").setAttribute("tabindex", "-1");
        $("form-error").focus();
      }
    } finally {
      submit.disabled = false;
    }
  }

  async deleteOpen() {
    const p = this.products.get(this.openSku);
    if (!p) return;
    if (!window.confirm(`Delete “${p.name}” (${p.sku}) and all its files? This cannot be undone.`)) return;
    try {
      await this.api.remove(p.sku);
      this.products.delete(p.sku);
      this.announce(`Deleted ${p.name}.`);
      location.hash = "#/";
    } catch (err) {
      if (this.failed(err)) return;
      errorNotice($("detail-error"), err, "The product was not deleted.");
    }
  }

  // --- One product -----------------------------------------------------------

  openDetail(sku) {
    const changed = this.openSku !== sku;
    this.openSku = sku;
    if (changed) {
      this.closePreview();
      for (const kind of ["model", "photo"]) {
        show($(kind + "-transfer"), false);
        clearNotice($(kind + "-error"));
      }
      clearNotice($("detail-error"));
    }
    this.renderDetail(this.products.get(sku));
    show($("detail-section"), true);
    $("detail-heading").focus();
    // Fetch the latest copy: the list may be older than the product.
    const session = this.session;
    this.api.product(sku).then((p) => { if (session === this.session) this.updateProduct(p); },
      (err) => { if (session === this.session && !this.failed(err)) errorNotice($("detail-error"), err); });
  }

  renderDetail(p) {
    document.body.dataset.product = p.status;
    $("detail-sku").replaceChildren("SKU ", h("span", { class: "sku" }, p.sku));
    $("detail-heading").textContent = p.name;
    const badge = $("detail-status");
    badge.dataset.status = p.status;
    badge.textContent = STATUS_LABELS[p.status] || p.status;
    const d = p.dimensions_m;
    $("detail-summary").textContent = [
      p.category,
      `${formatCm(d.w)} × ${formatCm(d.h)} × ${formatCm(d.d)} (W × H × D)`,
      `placed on: ${p.placement}`,
      formatPrice(p.price, p.currency),
      `version ${p.version}`,
    ].join(" · ");
    const uploading = this.busy.model;
    $("model-file").disabled = uploading;
    $("model-drop").setAttribute("aria-disabled", uploading ? "true" : "false");
    this.renderPhotos(p);
    this.renderReport(p);
    this.renderRenders(p);
  }

  renderPhotos(p) {
    const list = $("photo-list");
    list.textContent = "";
    const urls = p.image_urls || [];
    urls.forEach((url, i) => {
      list.append(h("li", {}, h("img", { src: url, alt: `Photo ${i + 1} of ${urls.length}`, loading: "lazy" })));
    });
  }

  renderReport(p) {
    const r = p.report;
    show($("report-empty"), !r);
    show($("report-body"), Boolean(r));
    $("report-empty").textContent = p.status === "processing" && !r
      ? "The model is being processed; the report appears here when it is done."
      : "Upload a 3D model to get a report.";
    if (!r) return;
    const at = r.at ? new Date(r.at) : null;
    $("report-at").textContent = (at && !isNaN(at) ? "Report of " + at.toLocaleString() : "Latest report") +
      (p.status === "processing" ? " · a newer upload is being processed" : "");

    // Declared vs measured, per axis.
    const dims = $("dims-body");
    dims.textContent = "";
    const measuredKnown = r.measured_m && (r.measured_m.w > 0 || r.measured_m.h > 0 || r.measured_m.d > 0);
    for (const [axis, name] of [["w", "Width"], ["h", "Height"], ["d", "Depth"]]) {
      const declared = r.declared_m ? r.declared_m[axis] : 0;
      const measured = measuredKnown ? r.measured_m[axis] : 0;
      const diff = axisDifferencePct(declared, measured);
      const over = diff > MISMATCH_LIMIT_PCT;
      dims.append(h("tr", { class: over ? "flagged" : null, "data-axis": axis },
        h("td", {}, name),
        h("td", { class: "num" }, formatCm(declared)),
        h("td", { class: "num" }, measuredKnown ? formatCm(measured) : "not measured"),
        h("td", { class: "num" }, Number.isNaN(diff) ? "—" : over
          ? h("span", { class: "flag" }, h("span", { "aria-hidden": "true" }, "⚠ "), diff.toFixed(1) + " %", h("span", { class: "visually-hidden" }, ", over the 2 % allowed"))
          : h("span", { class: "ok-mark" }, diff.toFixed(1) + " %"))));
    }
    const mismatch = $("mismatch");
    const pct = Number(r.mismatch_pct) || 0;
    mismatch.classList.toggle("flagged", pct > MISMATCH_LIMIT_PCT);
    mismatch.textContent = !measuredKnown
      ? "The model could not be measured."
      : pct > MISMATCH_LIMIT_PCT
        ? `⚠ The model's size differs from the declared size by up to ${pct.toFixed(1)} %, more than the ${MISMATCH_LIMIT_PCT} % allowed. Check the declared dimensions, or the units the model was exported in.`
        : `✓ The model matches the declared size (largest difference ${pct.toFixed(1)} %, within ${MISMATCH_LIMIT_PCT} %).`;

    // Problems.
    const problems = r.problems || [];
    show($("problems-none"), problems.length === 0);
    show($("problems-wrap"), problems.length > 0);
    $("problems-body").replaceWith(Object.assign(problemsTable(problems), { id: "problems-body" }));

    // Levels of detail.
    const levels = levelsOf(p);
    const body = $("levels-body");
    keepFocus(() => {
      body.textContent = "";
      for (const l of levels) {
        const previewable = l.stored && p.model;
        body.append(h("tr", { "data-level": l.level },
          h("th", { scope: "row" }, l.level === 0 ? "0 (full detail)" : String(l.level)),
          h("td", { class: "num" }, l.triangles.toLocaleString()),
          h("td", { class: "num" }, l.vertices.toLocaleString()),
          h("td", { class: "num" }, formatBytes(l.sizeBytes)),
          h("td", { class: "num" }, Number.isNaN(l.posterDifference) ? "—" : l.posterDifference.toFixed(3)),
          h("td", {}, previewable
            ? h("button", { type: "button", class: "button small", "data-focus": "preview-" + l.level, "data-level": l.level,
                onclick: () => this.openPreview(p.sku, l) }, "Preview", h("span", { class: "visually-hidden" }, ` level ${l.level} in 3D`))
            : "")));
      }
      if (!levels.length) body.append(h("tr", {}, h("td", { colspan: 6 }, "No levels of detail yet.")));
    });

    // Other notes.
    const notes = $("notes");
    notes.textContent = "";
    for (const note of r.notes || []) {
      if (!parseLevelNote(note)) notes.append(h("li", {}, note));
    }
    if (!notes.children.length) notes.append(h("li", { class: "muted" }, "No other notes."));
  }

  renderRenders(p) {
    const views = p.view_keys || [];
    show($("renders"), Boolean(p.poster_url || views.length));
    const poster = $("poster-img");
    if (p.poster_url) {
      poster.src = p.poster_url;
      poster.alt = "Poster of " + p.name;
    } else {
      poster.removeAttribute("src");
      poster.alt = "";
    }
    const list = $("views");
    list.textContent = "";
    views.forEach((key, i) => {
      const yaw = Math.round((360 / views.length) * i);
      const label = i === 0 ? "front" : `turned ${yaw}°`;
      list.append(h("li", {}, h("figure", {},
        h("img", { src: "/media/" + key, alt: `View ${i + 1} of ${views.length} of ${p.name}, ${label}` }),
        h("figcaption", { "aria-hidden": "true" }, i === 0 ? "Front" : yaw + "°"))));
    });
  }

  // --- 3D preview in the shop viewer -------------------------------------------

  openPreview(sku, level) {
    const url = "/p/" + encodeURIComponent(sku) + "?lod=" + level.level;
    const frame = $("preview-frame");
    clearInterval(this.previewTimer);
    delete frame.dataset.scrolled;
    delete frame.dataset.levels;
    frame.src = url;
    $("preview-open").href = url;
    $("preview-heading").textContent = `3D preview · level ${level.level}`;
    $("preview-caption").textContent = `Level ${level.level}: ${level.triangles.toLocaleString()} triangles, ${formatBytes(level.sizeBytes)}. Loading the shop viewer…`;
    show($("preview"), true);
    $("preview-heading").focus();
    // Report what the viewer actually showed (it records the levels it drew).
    const started = Date.now();
    this.previewTimer = setInterval(() => {
      let win;
      try { win = frame.contentWindow; } catch { return; }
      const state = win && win.document && win.document.body ? win.document.body.dataset.state : "";
      const shown = win && Array.isArray(win.vitrineLevels) ? [...win.vitrineLevels] : [];
      const stage = win && win.document ? win.document.getElementById("stage") : null;
      if (stage && !frame.dataset.scrolled && stage.getBoundingClientRect().height > 0) {
        // The shop page opens on its header; bring its 3D stage into the frame's view.
        stage.scrollIntoView({ block: "start" });
        frame.dataset.scrolled = "true";
      }
      if (state === "model-loaded" && shown.length) {
        clearInterval(this.previewTimer);
        const only = shown.length === 1 && shown[0] === level.level;
        $("preview-caption").textContent = only
          ? `Showing level ${level.level} only: ${level.triangles.toLocaleString()} triangles, ${formatBytes(level.sizeBytes)}.`
          : `Level ${level.level} asked for; the viewer streamed level${shown.length === 1 ? "" : "s"} ${shown.join(" → ")} as shoppers get ${shown.length === 1 ? "it" : "them"}.`;
        frame.dataset.levels = shown.join(",");
      } else if (state === "error" || Date.now() - started > 120000) {
        clearInterval(this.previewTimer);
        $("preview-caption").textContent = "The preview did not load. Open it in a new tab to see why.";
      }
    }, 500);
  }

  closePreview() {
    clearInterval(this.previewTimer);
    this.previewTimer = 0;
    const frame = $("preview-frame");
    if (frame && frame.getAttribute("src")) {
      frame.removeAttribute("src");
      delete frame.dataset.levels;
    }
    if ($("preview")) show($("preview"), false);
  }

  // --- Uploads -------------------------------------------------------------------

  /** wireUpload connects a drop zone and its file input (the keyboard path) to onFiles. */
  wireUpload(kind, zone, input, onFiles) {
    input.addEventListener("change", () => {
      if (input.files && input.files.length) onFiles([...input.files]);
      input.value = "";
    });
    zone.addEventListener("dragover", (ev) => {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = this.busy[kind] ? "none" : "copy";
      zone.classList.add("dragover");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
    zone.addEventListener("drop", (ev) => {
      ev.preventDefault();
      zone.classList.remove("dragover");
      const files = [...(ev.dataTransfer.files || [])];
      if (files.length && !this.busy[kind]) onFiles(files);
    });
  }

  /** progress shows bytes sent of total on a kind's bar and announces each quarter once. */
  progress(kind, loaded, total, prefix) {
    const pct = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
    const bar = $(kind + "-progress");
    $(kind + "-progress-bar").style.width = pct + "%";
    bar.setAttribute("aria-valuenow", String(pct));
    const text = `${formatBytes(loaded)} of ${formatBytes(total)} sent (${pct} %)`;
    bar.setAttribute("aria-valuetext", text);
    $(kind + "-progress-text").textContent = (prefix ? prefix + ": " : "") + text;
    this.progressLog.push({ kind, loaded, total, pct });
    for (const milestone of [25, 50, 75, 100]) {
      if (pct >= milestone && !this.milestones[kind].has(milestone)) {
        this.milestones[kind].add(milestone);
        if (milestone === 100 || pct < 100) {
          this.announce(milestone === 100 ? `${kind === "model" ? "Model" : "Photos"} sent.` : `Upload ${milestone} % done.`);
        }
      }
    }
  }

  beginTransfer(kind, name) {
    this.busy[kind] = true;
    this.milestones[kind] = new Set();
    const transfer = $(kind + "-transfer");
    transfer.dataset.state = "uploading";
    $(kind + "-transfer-name").textContent = name;
    $(kind + "-progress-bar").style.width = "0%";
    $(kind + "-progress").setAttribute("aria-valuenow", "0");
    $(kind + "-progress-text").textContent = "Starting…";
    show(transfer, true);
    clearNotice($(kind + "-error"));
    $(kind + "-file").disabled = true;
    $(kind + "-drop").setAttribute("aria-disabled", "true");
  }

  endTransfer(kind, state, message) {
    this.busy[kind] = false;
    $(kind + "-transfer").dataset.state = state;
    if (message) $(kind + "-progress-text").textContent = message;
    $(kind + "-file").disabled = false;
    $(kind + "-drop").setAttribute("aria-disabled", "false");
  }

  async uploadModel(file) {
    const sku = this.openSku;
    const p = this.products.get(sku);
    if (!p || this.busy.model) return;
    const name = file.name || "model";
    if (!/\.(glb|zip|gltf|obj)$/i.test(name)) {
      errorNotice($("model-error"), { message: `“${name}” is not a .glb, .gltf, .obj or .zip file.`, details: [] });
      this.announce(`${name} is not a model file.`);
      return;
    }
    this.beginTransfer("model", `${name} · ${formatBytes(file.size)}`);
    this.announce(`Uploading ${name}, ${formatBytes(file.size)}.`);
    const session = this.session;
    try {
      const { status, body } = await this.api.putModel(sku, file, (loaded, total) => this.progress("model", loaded, total));
      if (session !== this.session) return;
      this.progress("model", file.size, file.size);
      this.modelSentBytes = file.size;
      const processing = status === 202 || body.status === "processing";
      this.endTransfer("model", "done", processing
        ? `${formatBytes(file.size)} of ${formatBytes(file.size)} sent (100 %). The model passed the checks and is being processed…`
        : `${formatBytes(file.size)} of ${formatBytes(file.size)} sent (100 %). Stored.`);
      this.announce(processing ? `The model passed the checks. ${body.name} is processing.` : `The model of ${body.name} is stored.`);
      this.updateProduct(body);
    } catch (err) {
      if (session !== this.session) return;
      this.endTransfer("model", "failed", "Not stored. " + (err.status === 422 ? "The product is unchanged." : ""));
      if (this.failed(err)) return;
      this.showModelError(err);
    }
  }

  showModelError(err) {
    const el = $("model-error");
    el.textContent = "";
    const intro = err.status === 422 && err.code === "invalid_gltf"
      ? "The model was refused, and nothing was changed. Fix these problems and upload it again:"
      : err.status === 413
        ? "The file is too large."
        : err.status === 503
          ? "The model is stored but waits in the queue."
          : "The upload failed.";
    el.append(h("p", {}, intro));
    // The message repeats the first problem when there are details.
    if (!err.details.some((d) => err.message.includes(d))) el.append(h("p", { class: "message" }, err.message));
    if (err.details.length) el.append(problemsList(err.details));
    show(el, true);
    const n = err.details.length;
    this.announce(n ? `The model was refused: ${n} problem${n === 1 ? "" : "s"}. Nothing was changed.` : intro + " " + err.message);
  }

  async uploadPhotos(files) {
    const sku = this.openSku;
    if (!this.products.has(sku) || this.busy.photo) return;
    const photos = files.filter((f) => /^image\/(png|jpeg)$/.test(f.type) || /\.(png|jpe?g)$/i.test(f.name));
    const skipped = files.length - photos.length;
    if (!photos.length) {
      errorNotice($("photo-error"), { message: "Only PNG and JPEG photos can be uploaded.", details: files.map((f) => f.name + ": not a PNG or JPEG") });
      return;
    }
    const total = photos.reduce((sum, f) => sum + f.size, 0);
    this.beginTransfer("photo", photos.length === 1 ? `${photos[0].name} · ${formatBytes(total)}` : `${photos.length} photos · ${formatBytes(total)}`);
    this.announce(`Uploading ${photos.length} photo${photos.length === 1 ? "" : "s"}.`);
    const session = this.session;
    const failures = [];
    let done = 0;
    for (const [i, file] of photos.entries()) {
      const prefix = photos.length > 1 ? `Photo ${i + 1} of ${photos.length}` : "";
      try {
        const { body } = await this.api.postImage(sku, file, (loaded) => this.progress("photo", done + loaded, total, prefix));
        if (session !== this.session) return;
        this.updateProduct(body.product);
      } catch (err) {
        if (session !== this.session) return;
        if (this.failed(err)) return;
        failures.push(`${file.name}: ${err.message}`);
      }
      done += file.size;
      this.progress("photo", done, total, prefix);
    }
    const stored = photos.length - failures.length;
    this.endTransfer("photo", failures.length ? "failed" : "done",
      `${formatBytes(total)} of ${formatBytes(total)} sent (100 %). ${stored} of ${photos.length} photo${photos.length === 1 ? "" : "s"} stored.`);
    if (failures.length || skipped) {
      errorNotice($("photo-error"), {
        message: failures.length ? `${failures.length} photo${failures.length === 1 ? " was" : "s were"} refused:` : "Some files were skipped:",
        details: [...failures, ...files.filter((f) => !photos.includes(f)).map((f) => f.name + ": not a PNG or JPEG")],
      });
    }
    this.announce(`${stored} of ${photos.length} photo${photos.length === 1 ? "" : "s"} stored.`);
  }
}

// ---------------------------------------------------------------------------

const app = new Console();
window.vitrineMerchant = {
  parseProblem, parseLevelNote, describePointer, fieldOfDetail, formatBytes, formatCm, axisDifferencePct, levelsOf,
  get progressLog() { return app.progressLog; },
  get announcements() { return app.announcements; },
  get products() { return [...app.products.values()]; },
  statusHistory(sku) { return [...(app.statusHistory.get(sku) || [])]; },
};
app.start();
