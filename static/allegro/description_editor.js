/*
 * Allegro description section editor.
 *
 * Turns every [data-description-editor] block into a section editor over its JSON textarea. Configuration comes
 * from data- attributes only (a Content-Security-Policy will forbid inline scripts). Text items are edited with
 * CKEditor 5 from django-ckeditor-5, restricted to paragraph, heading 1/2, bold and lists. Every text item is
 * normalised here into Allegro's grammar (h1, h2, p, ul, ol, li, b; no attributes) by walking an inert DOMParser
 * document, and the preview is built with createElement/createTextNode from that normalised tree: user input is
 * never assigned to innerHTML. The server cleans and validates again (allegro.widgets.DescriptionFormField).
 */
(function () {
  "use strict";

  var LAYOUTS = [
    { key: "text", label: "Tekst", types: ["TEXT"] },
    { key: "image", label: "Zdjęcie", types: ["IMAGE"] },
    { key: "text-image", label: "Tekst + zdjęcie", types: ["TEXT", "IMAGE"] },
    { key: "image-text", label: "Zdjęcie + tekst", types: ["IMAGE", "TEXT"] },
    { key: "image-image", label: "Zdjęcie + zdjęcie", types: ["IMAGE", "IMAGE"] }
  ];
  var MAIN_IMAGE_PLACEHOLDER = "{{ zdjecie_glowne }}";
  var CK_PLUGINS = ["Essentials", "Paragraph", "Heading", "Bold", "List", "PasteFromOffice", "Autoformat"];

  // ---------------------------------------------------------------------------------------------------------
  // Normaliser: any HTML -> blocks in Allegro's grammar. Mirrors allegro/services/descriptions.py.
  // ---------------------------------------------------------------------------------------------------------
  var DROP = toSet("SCRIPT STYLE IFRAME FRAME FRAMESET OBJECT EMBED APPLET NOSCRIPT NOEMBED NOFRAMES TEMPLATE SVG " +
    "MATH TEXTAREA SELECT OPTION BUTTON TITLE HEAD XML AUDIO VIDEO CANVAS MAP IMG INPUT LINK META BASE");
  var BLOCK = toSet("P DIV SECTION ARTICLE HEADER FOOTER MAIN ASIDE NAV BLOCKQUOTE PRE ADDRESS FIGURE FIGCAPTION " +
    "DETAILS SUMMARY CENTER DL DT DD HR CAPTION TABLE THEAD TBODY TFOOT TR TD TH FORM");

  function toSet(words) {
    var set = {};
    words.split(" ").forEach(function (w) { set[w] = true; });
    return set;
  }

  function normaliseRuns(runs) {
    var out = [];
    var pendingSpace = false;
    runs.forEach(function (run) {
      var text = run[0].replace(/\s+/g, " ");
      var bold = run[1];
      var words = text.trim();
      if (!words) {
        if (text && out.length) { pendingSpace = true; }
        return;
      }
      if (text.charAt(0) === " " && out.length) { pendingSpace = true; }
      var chunk = words;
      var last = out[out.length - 1];
      if (last && pendingSpace) {
        if (last[1] && !bold) { chunk = " " + chunk; } else { last[0] += " "; }
      }
      if (last && last[1] === bold) { last[0] += chunk; } else { out.push([chunk, bold]); }
      pendingSpace = text.charAt(text.length - 1) === " ";
    });
    return out;
  }

  function htmlToBlocks(html) {
    var doc = new DOMParser().parseFromString("<!DOCTYPE html><html><body>" + (html || "") + "</body></html>", "text/html");
    var blocks = [];
    var runs = [];
    var list = null;
    var heading = null;

    function flush() {
      var norm = normaliseRuns(runs);
      runs = [];
      if (!norm.length) { return; }
      if (list) { list.items.push(norm); } else { blocks.push({ tag: heading || "p", runs: norm }); }
    }

    function walk(node, bold) {
      for (var child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) { runs.push([child.nodeValue, bold && !heading]); continue; }
        if (child.nodeType !== 1) { continue; }
        var tag = child.tagName.toUpperCase();
        if (DROP[tag]) { continue; }
        if (tag === "B" || tag === "STRONG") { walk(child, true); continue; }
        if (tag === "UL" || tag === "OL" || tag === "MENU") {
          flush();
          if (list) { walk(child, bold); flush(); continue; } // nested list: flattened into the outer one
          list = { tag: tag === "OL" ? "ol" : "ul", items: [] };
          walk(child, bold);
          flush();
          if (list.items.length) { blocks.push(list); }
          list = null;
          continue;
        }
        if (tag === "LI") { flush(); walk(child, bold); flush(); continue; }
        if (/^H[1-6]$/.test(tag)) {
          if (list || heading) { runs.push([" ", false]); walk(child, bold); runs.push([" ", false]); continue; }
          flush();
          heading = tag === "H1" ? "h1" : "h2";
          walk(child, false);
          flush();
          heading = null;
          continue;
        }
        if (BLOCK[tag] || tag === "BR") {
          if (list || heading) { runs.push([" ", false]); walk(child, bold); runs.push([" ", false]); continue; }
          flush();
          walk(child, bold);
          flush();
          continue;
        }
        walk(child, bold); // inline formatting (span, em, a, ...): text kept, tag dropped
      }
    }

    walk(doc.body, false);
    flush();
    return blocks;
  }

  function escapeText(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function runsToHtml(runs) {
    return runs.map(function (r) { return r[1] ? "<b>" + escapeText(r[0]) + "</b>" : escapeText(r[0]); }).join("");
  }

  function blocksToHtml(blocks) {
    return blocks.map(function (b) {
      if (b.items) {
        return "<" + b.tag + ">" + b.items.map(function (i) { return "<li>" + runsToHtml(i) + "</li>"; }).join("") + "</" + b.tag + ">";
      }
      return "<" + b.tag + ">" + runsToHtml(b.runs) + "</" + b.tag + ">";
    }).join("");
  }

  function normaliseHtml(html) { return blocksToHtml(htmlToBlocks(html)); }

  function appendRuns(parent, runs) {
    runs.forEach(function (r) {
      var text = document.createTextNode(r[0]);
      if (r[1]) {
        var b = document.createElement("b");
        b.appendChild(text);
        parent.appendChild(b);
      } else {
        parent.appendChild(text);
      }
    });
  }

  // The only way user text reaches the page outside CKEditor: DOM nodes of allowed tags with text children.
  function blocksToDom(blocks, parent) {
    blocks.forEach(function (b) {
      var el = document.createElement(b.tag);
      if (b.items) {
        b.items.forEach(function (runs) {
          var li = document.createElement("li");
          appendRuns(li, runs);
          el.appendChild(li);
        });
      } else {
        appendRuns(el, b.runs);
      }
      parent.appendChild(el);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Small DOM helpers
  // ---------------------------------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else if (key === "className") { node.className = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function button(label, aria, className, onClick) {
    var b = el("button", { type: "button", className: "de-btn " + (className || ""), text: label });
    if (aria) { b.setAttribute("aria-label", aria); b.title = aria; }
    b.addEventListener("click", function (event) { event.preventDefault(); onClick(event); });
    return b;
  }

  function safeImageSrc(url) {
    if (typeof url !== "string") { return null; }
    url = url.trim();
    if (/^https?:\/\/[^\s]+$/i.test(url)) { return url; }
    if (/^\/[^/\\\s][^\s]*$/.test(url)) { return url; } // same-origin media path (product image thumbnails)
    return null;
  }

  function csrfToken(root) {
    var form = root.closest("form");
    var input = (form && form.querySelector("input[name=csrfmiddlewaretoken]")) || document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function formatNumber(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0"); }

  function layoutOf(types) {
    var key = types.join(",");
    for (var i = 0; i < LAYOUTS.length; i++) { if (LAYOUTS[i].types.join(",") === key) { return LAYOUTS[i]; } }
    return LAYOUTS[0];
  }

  // ---------------------------------------------------------------------------------------------------------
  // The editor
  // ---------------------------------------------------------------------------------------------------------
  var counter = 0;

  function Editor(root) {
    this.root = root;
    this.uid = "de" + (++counter);
    this.input = document.getElementById(root.getAttribute("data-input-id")) || root.querySelector("textarea");
    this.mode = root.getAttribute("data-mode") || "product";
    this.images = parseJson(root.getAttribute("data-images"), []);
    this.ckConfig = parseJson(root.getAttribute("data-ck-config"), {});
    this.uploadUrl = root.getAttribute("data-upload-url") || "";
    this.generated = parseJson(root.getAttribute("data-generated"), null);
    this.maxSections = parseInt(root.getAttribute("data-max-sections"), 10) || 100;
    this.maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10) || 40000;
    this.sections = [];
    this.dragged = null;
    var initial = parseJson(this.input.value, undefined);
    if (initial === undefined || typeof initial !== "object" || initial === null) {
      root.classList.add("de-invalid-json");
      root.insertBefore(el("p", { className: "errornote", text: "Opis nie jest poprawnym JSON-em – popraw go w polu poniżej." }), this.input);
      return;
    }
    this.build(Array.isArray(initial) ? initial : (initial.sections || []));
  }

  function parseJson(text, fallback) {
    if (!text) { return fallback; }
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  Editor.prototype.imageById = function (ref) {
    for (var i = 0; i < this.images.length; i++) { if (this.images[i].ref === ref) { return this.images[i]; } }
    return null;
  };

  Editor.prototype.build = function (sections) {
    var self = this;
    this.root.classList.add("de-ready");
    this.status = el("div", { className: "de-status", role: "status", "aria-live": "polite" });
    this.sectionsCounter = el("span", { className: "de-counter de-counter-sections" });
    this.bytesCounter = el("span", { className: "de-counter de-counter-bytes" });
    var toolbar = el("div", { className: "de-toolbar" }, [this.sectionsCounter, this.bytesCounter]);
    if (this.generated && this.generated.sections) {
      toolbar.appendChild(button("Zastąp opisem ze sklepu", "Zastąp sekcje opisem wygenerowanym z opisu produktu w sklepie", "de-from-shop", function () {
        if (self.sections.length && !window.confirm("Zastąpić wszystkie sekcje opisem wygenerowanym z opisu w sklepie?")) { return; }
        self.replaceAll(self.generated.sections);
      }));
    }
    this.list = el("ol", { className: "de-sections", "aria-label": "Sekcje opisu" });
    this.empty = el("p", { className: "de-empty help", text: this.mode === "product" ? "Brak sekcji. Pusty opis Allegro zostanie utworzony z opisu produktu w sklepie." : "Brak sekcji." });
    this.addButton = button("+ Dodaj sekcję", "Dodaj sekcję na końcu opisu", "de-add", function () {
      var section = self.addSection([{ type: "TEXT", content: "" }], null);
      self.refresh();
      var select = section.el.querySelector(".de-layout");
      if (select) { select.focus(); }
      self.announce("Dodano sekcję " + (self.sections.indexOf(section) + 1));
    });
    this.previewBody = el("div", { className: "de-preview-body" });
    var preview = el("section", { className: "de-preview", "aria-label": "Podgląd opisu" }, [
      el("h3", { className: "de-preview-title", text: "Podgląd – tak opis wygląda na stronie oferty Allegro" }),
      el("div", { className: "de-offer" }, [el("h2", { className: "de-offer-heading", text: "Opis" }), this.previewBody])
    ]);
    var editorPane = el("div", { className: "de-pane de-pane-editor" }, [toolbar, this.empty, this.list, el("div", { className: "de-add-row" }, [this.addButton]), this.status]);
    this.root.appendChild(el("div", { className: "de-layout-grid" }, [editorPane, el("div", { className: "de-pane de-pane-preview" }, [preview])]));
    sections.forEach(function (s) {
      var items = (s && Array.isArray(s.items) ? s.items : []).filter(function (i) { return i && (i.type === "TEXT" || i.type === "IMAGE"); }).slice(0, 2);
      if (items.length) { self.addSection(items, null); }
    });
    var form = this.root.closest("form");
    if (form) { form.addEventListener("submit", function () { self.sync(); }); }
    this.refresh();
  };

  Editor.prototype.replaceAll = function (sections) {
    var self = this;
    this.sections.slice().forEach(function (s) { self.removeSection(s, true); });
    sections.forEach(function (s) { if (s.items && s.items.length) { self.addSection(s.items.slice(0, 2), null); } });
    this.refresh();
    this.announce("Wstawiono opis ze sklepu");
  };

  Editor.prototype.announce = function (text) {
    this.status.textContent = "";
    var status = this.status;
    window.setTimeout(function () { status.textContent = text; }, 30);
  };

  Editor.prototype.addSection = function (items, before) {
    var self = this;
    var section = { items: [], stash: { TEXT: [], IMAGE: [] }, el: null };
    var li = el("li", { className: "de-section" });
    section.el = li;
    var handle = el("span", { className: "de-handle", draggable: "true", title: "Przeciągnij, aby zmienić kolejność", "aria-hidden": "true", text: "⠿" });
    var title = el("h4", { className: "de-section-title" });
    var selectId = this.uid + "-layout-" + (++counter);
    var select = el("select", { className: "de-layout", id: selectId });
    LAYOUTS.forEach(function (l) { select.appendChild(el("option", { value: l.key, text: l.label })); });
    var up = button("↑", "Przesuń sekcję w górę", "de-up", function () { self.move(section, -1, up); });
    var down = button("↓", "Przesuń sekcję w dół", "de-down", function () { self.move(section, 1, down); });
    var remove = button("Usuń", "Usuń sekcję", "de-remove", function () {
      var index = self.sections.indexOf(section);
      self.removeSection(section, false);
      self.refresh();
      var next = self.sections[Math.min(index, self.sections.length - 1)];
      (next ? next.el.querySelector(".de-remove") : self.addButton).focus();
      self.announce("Usunięto sekcję " + (index + 1));
    });
    var head = el("div", { className: "de-section-head" }, [
      handle, title,
      el("label", { for: selectId, className: "de-layout-label", text: "Układ:" }), select,
      el("span", { className: "de-section-buttons" }, [up, down, remove])
    ]);
    section.body = el("div", { className: "de-items" });
    li.appendChild(head);
    li.appendChild(section.body);
    select.addEventListener("change", function () { self.setLayout(section, layoutByKey(select.value).types); self.refresh(); });
    section.select = select;

    handle.addEventListener("dragstart", function (event) {
      self.dragged = section;
      li.classList.add("de-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", "section");
      if (event.dataTransfer.setDragImage) { event.dataTransfer.setDragImage(li, 10, 10); }
    });
    handle.addEventListener("dragend", function () { li.classList.remove("de-dragging"); self.dragged = null; self.clearDropMarks(); });
    li.addEventListener("dragover", function (event) {
      if (!self.dragged || self.dragged === section) { return; }
      event.preventDefault();
      var after = event.clientY > li.getBoundingClientRect().top + li.offsetHeight / 2;
      self.clearDropMarks();
      li.classList.add(after ? "de-drop-after" : "de-drop-before");
    });
    li.addEventListener("drop", function (event) {
      if (!self.dragged || self.dragged === section) { return; }
      event.preventDefault();
      var after = event.clientY > li.getBoundingClientRect().top + li.offsetHeight / 2;
      var moving = self.dragged;
      self.sections.splice(self.sections.indexOf(moving), 1);
      var target = self.sections.indexOf(section) + (after ? 1 : 0);
      self.sections.splice(target, 0, moving);
      self.list.insertBefore(moving.el, self.sections[target + 1] ? self.sections[target + 1].el : null);
      self.clearDropMarks();
      self.refresh();
      self.announce("Sekcja przeniesiona na pozycję " + (target + 1));
    });

    var index = before === null ? this.sections.length : before;
    this.sections.splice(index, 0, section);
    this.list.insertBefore(li, this.sections[index + 1] ? this.sections[index + 1].el : null);
    items.forEach(function (item) { section.stash[item.type].push(item.type === "TEXT" ? (item.content || "") : (item.url || "")); });
    this.setLayout(section, items.map(function (i) { return i.type; }));
    return section;
  };

  function layoutByKey(key) {
    for (var i = 0; i < LAYOUTS.length; i++) { if (LAYOUTS[i].key === key) { return LAYOUTS[i]; } }
    return LAYOUTS[0];
  }

  Editor.prototype.clearDropMarks = function () {
    this.sections.forEach(function (s) { s.el.classList.remove("de-drop-before", "de-drop-after"); });
  };

  Editor.prototype.destroyItems = function (section) {
    section.items.slice().reverse().forEach(function (item) {
      if (item.type === "TEXT") { section.stash.TEXT.unshift(item.content); } else { section.stash.IMAGE.unshift(item.url); }
      if (item.editor) { item.editor.destroy().catch(function () {}); item.editor = null; }
      item.dead = true;
    });
    section.items = [];
    section.body.textContent = "";
  };

  Editor.prototype.setLayout = function (section, types) {
    var self = this;
    this.destroyItems(section);
    var layout = layoutOf(types);
    section.select.value = layout.key;
    section.body.className = "de-items de-items-" + layout.key;
    layout.types.forEach(function (type, position) {
      var stored = section.stash[type].length ? section.stash[type].shift() : "";
      var item = type === "TEXT" ? { type: "TEXT", content: normaliseHtml(stored) } : { type: "IMAGE", url: stored };
      section.items.push(item);
      section.body.appendChild(type === "TEXT" ? self.textItem(section, item, position) : self.imageItem(section, item, position));
    });
  };

  Editor.prototype.textItem = function (section, item, position) {
    var self = this;
    var wrapper = el("div", { className: "de-item de-item-text" });
    wrapper.appendChild(el("span", { className: "de-item-label", text: "Tekst" }));
    var holder = el("div", { className: "de-ck" });
    wrapper.appendChild(holder);
    var CK = window.ClassicEditor;
    if (!CK || !CK.builtinPlugins) {
      var area = el("textarea", { className: "de-fallback", rows: "6", "aria-label": "Tekst sekcji (HTML)" });
      area.value = item.content;
      area.addEventListener("input", function () { item.content = normaliseHtml(area.value); self.refresh(); });
      holder.appendChild(area);
      return wrapper;
    }
    var config = Object.assign({}, this.ckConfig, {
      plugins: CK.builtinPlugins.filter(function (p) { return CK_PLUGINS.indexOf(p.pluginName) !== -1; }),
      licenseKey: "GPL",
      initialData: item.content
    });
    CK.create(holder, config).then(function (editor) {
      if (item.dead) { editor.destroy(); return; }
      item.editor = editor;
      var editable = editor.ui.view.editable.element;
      if (editable) { editable.setAttribute("aria-label", "Tekst sekcji"); }
      editor.model.document.on("change:data", function () {
        item.content = normaliseHtml(editor.getData());
        self.refresh();
      });
    }).catch(function (error) {
      if (window.console) { window.console.error(error); }
    });
    return wrapper;
  };

  Editor.prototype.imageItem = function (section, item, position) {
    var self = this;
    var wrapper = el("div", { className: "de-item de-item-image" });
    wrapper.appendChild(el("span", { className: "de-item-label", text: "Zdjęcie" }));
    var current = el("div", { className: "de-image-current" });
    wrapper.appendChild(current);
    var thumbs = el("div", { className: "de-thumbs", role: "group", "aria-label": "Zdjęcia produktu" });
    wrapper.appendChild(thumbs);
    var urlInput = null;

    function pick(url) {
      item.url = url;
      renderCurrent();
      renderThumbs();
      if (urlInput && urlInput.value !== url) { urlInput.value = url; }
      self.refresh();
    }

    function renderCurrent() {
      current.textContent = "";
      var info = self.imageById(item.url);
      var src = info ? info.thumb : (item.url === MAIN_IMAGE_PLACEHOLDER ? null : safeImageSrc(item.url));
      if (src) {
        var img = el("img", { alt: info ? (info.alt || "Zdjęcie produktu") : "Zdjęcie" });
        img.src = src;
        current.appendChild(img);
      } else {
        current.appendChild(el("span", { className: "de-image-none", text: item.url === MAIN_IMAGE_PLACEHOLDER ? "Zdjęcie główne produktu" : (item.url ? "Nieznane zdjęcie" : "Nie wybrano zdjęcia") }));
      }
    }

    function renderThumbs() {
      thumbs.textContent = "";
      if (!self.images.length && self.mode === "product") {
        thumbs.appendChild(el("span", { className: "help", text: "Produkt nie ma jeszcze zdjęć – prześlij zdjęcie." }));
      }
      self.images.forEach(function (image, n) {
        var b = button("", "Wybierz zdjęcie " + (n + 1) + (image.alt ? ": " + image.alt : ""), "de-thumb", function () { pick(image.ref); });
        b.setAttribute("aria-pressed", item.url === image.ref ? "true" : "false");
        b.setAttribute("data-ref", image.ref);
        var img = el("img", { alt: "" });
        img.src = image.thumb;
        b.appendChild(img);
        thumbs.appendChild(b);
      });
    }

    if (this.uploadUrl) {
      var fileId = this.uid + "-file-" + (++counter);
      var file = el("input", { type: "file", accept: "image/*", id: fileId, className: "de-upload" });
      file.addEventListener("change", function () {
        if (!file.files || !file.files.length) { return; }
        var data = new FormData();
        data.append("image", file.files[0]);
        self.announce("Przesyłanie zdjęcia…");
        fetch(self.uploadUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken(self.root) } })
          .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
          .then(function (result) {
            if (!result.ok) { throw new Error(result.body && result.body.error ? result.body.error : "Nie udało się przesłać zdjęcia"); }
            self.images.push(result.body);
            self.rerenderPickers();
            pick(result.body.ref);
            self.announce("Przesłano zdjęcie");
          })
          .catch(function (error) { self.announce(error.message || "Nie udało się przesłać zdjęcia"); })
          .then(function () { file.value = ""; });
      });
      wrapper.appendChild(el("div", { className: "de-upload-row" }, [el("label", { for: fileId, text: "Prześlij nowe zdjęcie:" }), file]));
    }
    if (this.mode === "template") {
      var urlId = this.uid + "-url-" + (++counter);
      urlInput = el("input", { type: "url", id: urlId, className: "vTextField de-url", placeholder: "https://…" });
      urlInput.value = item.url || "";
      urlInput.addEventListener("input", function () { item.url = urlInput.value.trim(); renderCurrent(); self.refresh(); });
      wrapper.appendChild(el("div", { className: "de-url-row" }, [el("label", { for: urlId, text: "Adres zdjęcia:" }), urlInput]));
      wrapper.appendChild(button("Zdjęcie główne produktu", "Wstaw zdjęcie główne produktu (znacznik {{ zdjecie_glowne }})", "de-main-image", function () { pick(MAIN_IMAGE_PLACEHOLDER); }));
    }
    wrapper.rerender = function () { renderThumbs(); renderCurrent(); };
    renderCurrent();
    renderThumbs();
    return wrapper;
  };

  Editor.prototype.rerenderPickers = function () {
    this.root.querySelectorAll(".de-item-image").forEach(function (node) { if (node.rerender) { node.rerender(); } });
  };

  Editor.prototype.removeSection = function (section, quiet) {
    this.destroyItems(section);
    this.sections.splice(this.sections.indexOf(section), 1);
    section.el.remove();
  };

  Editor.prototype.move = function (section, delta, focusAfter) {
    var index = this.sections.indexOf(section);
    var target = index + delta;
    if (target < 0 || target >= this.sections.length) { return; }
    this.sections.splice(index, 1);
    this.sections.splice(target, 0, section);
    this.list.insertBefore(section.el, this.sections[target + 1] ? this.sections[target + 1].el : null);
    this.refresh();
    if (focusAfter) { (focusAfter.disabled ? section.el.querySelector(delta < 0 ? ".de-down" : ".de-up") : focusAfter).focus(); }
    this.announce("Sekcja przeniesiona na pozycję " + (target + 1));
  };

  Editor.prototype.description = function () {
    return {
      sections: this.sections.map(function (s) {
        return {
          items: s.items.map(function (i) { return i.type === "TEXT" ? { type: "TEXT", content: i.content } : { type: "IMAGE", url: i.url }; })
        };
      })
    };
  };

  Editor.prototype.sync = function () {
    var description = this.description();
    this.input.value = JSON.stringify(description);
    return description;
  };

  Editor.prototype.refresh = function () {
    var self = this;
    var description = this.sync();
    var n = this.sections.length;
    this.empty.hidden = n > 0;
    this.sections.forEach(function (s, i) {
      s.el.querySelector(".de-section-title").textContent = "Sekcja " + (i + 1);
      s.el.setAttribute("aria-label", "Sekcja " + (i + 1));
      var up = s.el.querySelector(".de-up");
      var down = s.el.querySelector(".de-down");
      up.disabled = i === 0;
      down.disabled = i === n - 1;
      up.setAttribute("aria-label", "Przesuń sekcję " + (i + 1) + " w górę");
      down.setAttribute("aria-label", "Przesuń sekcję " + (i + 1) + " w dół");
      s.el.querySelector(".de-remove").setAttribute("aria-label", "Usuń sekcję " + (i + 1));
      s.select.setAttribute("aria-label", "Układ sekcji " + (i + 1));
    });
    // Bytes as Allegro counts them (description_size_bytes): UTF-8 of the compact JSON of {"sections": [...]}.
    var bytes = new TextEncoder().encode(JSON.stringify(description)).length;
    this.sectionsCounter.textContent = "Sekcje: " + n + " / " + this.maxSections;
    this.bytesCounter.textContent = "Rozmiar: " + formatNumber(bytes) + " / " + formatNumber(this.maxBytes) + " bajtów";
    this.sectionsCounter.classList.toggle("de-over", n > this.maxSections);
    this.bytesCounter.classList.toggle("de-over", bytes > this.maxBytes);
    this.addButton.disabled = n >= this.maxSections;
    this.root.setAttribute("data-sections", String(n));
    this.root.setAttribute("data-bytes", String(bytes));
    this.renderPreview(description);
  };

  Editor.prototype.renderPreview = function (description) {
    var self = this;
    var body = this.previewBody;
    body.textContent = "";
    if (!description.sections.length) {
      body.appendChild(el("p", { className: "de-preview-empty", text: "Opis jest pusty." }));
      return;
    }
    description.sections.forEach(function (section) {
      var sectionEl = el("div", { className: "de-pv-section de-pv-items-" + section.items.length });
      section.items.forEach(function (item) {
        if (item.type === "TEXT") {
          var text = el("div", { className: "de-pv-item de-pv-text" });
          blocksToDom(htmlToBlocks(item.content), text);
          sectionEl.appendChild(text);
          return;
        }
        var box = el("div", { className: "de-pv-item de-pv-image" });
        var info = self.imageById(item.url);
        var src = info ? info.thumb : safeImageSrc(item.url);
        if (src) {
          var img = el("img", { alt: "", "data-url": item.url });
          img.src = src;
          box.appendChild(img);
        } else {
          box.appendChild(el("div", { className: "de-pv-missing", "data-url": item.url, text: item.url === MAIN_IMAGE_PLACEHOLDER ? "Zdjęcie główne produktu" : "Brak zdjęcia" }));
        }
        sectionEl.appendChild(box);
      });
      body.appendChild(sectionEl);
    });
  };

  function init(scope) {
    (scope || document).querySelectorAll("[data-description-editor]").forEach(function (root) {
      if (root.getAttribute("data-editor-ready")) { return; }
      var input = document.getElementById(root.getAttribute("data-input-id")) || root.querySelector("textarea");
      // The inline formset's hidden template form: its editor is created only once the form is added.
      if (!input || input.name.indexOf("__prefix__") !== -1) { return; }
      root.setAttribute("data-editor-ready", "1");
      root.descriptionEditor = new Editor(root);
    });
  }

  window.SellyDescriptionEditor = { init: init, normaliseHtml: normaliseHtml };
  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    document.addEventListener("formset:added", function (event) { init(event.target); });
  });
})();
