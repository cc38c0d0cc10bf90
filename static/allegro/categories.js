/* Allegro categories.
 *
 * 1. "Przyporządkowania kategorii": the picker of an Allegro leaf category — the tree is loaded level by level from
 *    small JSON views (one Allegro call per cold level, none when cached), with search over the whole tree and
 *    "Podpowiedz" (Allegro's matching categories for the shop category's product names).
 * 2. "Formularze kategorii" and the parameters of "Wystaw na Allegro": dependent dictionary values — a select with
 *    data-depends-on shows only the options whose data-depends lists a value chosen in the parent select — and
 *    Allegro's displayedIf / requiredIf conditions (the server validates the same rules).
 *
 * No inline scripts (CSP): configuration comes from data- attributes; Allegro's data is put into the page with
 * textContent only.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function getJSON(url, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.error || response.statusText);
          return data;
        });
      }
    );
  }

  function postJSON(url, params, csrf) {
    var body = new URLSearchParams(params);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      body: body,
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || response.statusText);
        return data;
      });
    });
  }

  function initPicker(picker) {
    var ds = picker.dataset;
    var app = ds.app;
    var tree = picker.querySelector("#ac-tree");
    var results = picker.querySelector("#ac-results");
    var status = picker.querySelector("#ac-status");
    var chosen = picker.querySelector("#ac-chosen");
    var chosenId = picker.querySelector("#ac-chosen-id");
    var categoryInput = picker.querySelector("#ac-category");
    var categoryName = picker.querySelector("#ac-category-name");
    var searchInput = picker.querySelector("#ac-search");
    var csrf = picker.querySelector("input[name=csrfmiddlewaretoken]").value;
    var lastLevel = { parent: "", container: null };
    var rootLoaded = false;

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("ac-error", !!isError);
    }

    function choose(category) {
      chosenId.value = category.id;
      chosen.textContent = category.path + " (" + category.id + ")";
      picker.querySelectorAll(".ac-selected").forEach(function (node) {
        node.classList.remove("ac-selected");
      });
      picker.querySelectorAll('[data-id="' + CSS.escape(category.id) + '"] > .ac-label').forEach(function (node) {
        node.classList.add("ac-selected");
      });
    }

    function renderLevel(container, categories) {
      container.textContent = "";
      var list = el("ul", "ac-level");
      categories.forEach(function (category) {
        var item = el("li", category.leaf ? "ac-leaf" : "ac-branch");
        item.dataset.id = category.id;
        if (!category.leaf) {
          var toggle = el("button", "ac-toggle", "▸");
          toggle.type = "button";
          toggle.setAttribute("aria-expanded", "false");
          item.appendChild(toggle);
        }
        var label = el("button", "ac-label", category.name);
        label.type = "button";
        label.title = category.path;
        item.appendChild(label);
        var children = el("div", "ac-children");
        children.hidden = true;
        item.appendChild(children);
        function open() {
          var expanded = !children.hidden;
          if (expanded) {
            children.hidden = true;
            if (toggle) {
              toggle.textContent = "▸";
              toggle.setAttribute("aria-expanded", "false");
            }
            return;
          }
          children.hidden = false;
          if (toggle) {
            toggle.textContent = "▾";
            toggle.setAttribute("aria-expanded", "true");
          }
          lastLevel = { parent: category.id, container: children };
          if (!children.dataset.loaded) loadLevel(category.id, children);
        }
        if (category.leaf) {
          label.addEventListener("click", function () {
            choose(category);
          });
        } else {
          toggle.addEventListener("click", open);
          label.addEventListener("click", open);
        }
        list.appendChild(item);
      });
      container.appendChild(list);
      container.dataset.loaded = "1";
    }

    function loadLevel(parent, container, refresh) {
      say(ds.msgLoading);
      var request = refresh
        ? postJSON(ds.refreshUrl, { app: app, parent: parent }, csrf)
        : getJSON(ds.levelUrl, { app: app, parent: parent });
      return request
        .then(function (data) {
          renderLevel(container, data.categories);
          say("");
        })
        .catch(function (error) {
          say(error.message, true);
        });
    }

    function showResults(categories) {
      results.textContent = "";
      if (!categories.length) {
        results.appendChild(el("li", "ac-muted", ds.msgEmpty));
        return;
      }
      categories.forEach(function (category) {
        var item = el("li");
        if (category.leaf) {
          var button = el("button", "ac-result", category.path);
          button.type = "button";
          button.addEventListener("click", function () {
            choose(category);
          });
          item.appendChild(button);
        } else {
          item.appendChild(el("span", "ac-muted", category.path + " — " + ds.msgNotLeaf));
        }
        results.appendChild(item);
      });
    }

    function openFor(id, name) {
      categoryInput.value = id;
      categoryName.textContent = name;
      chosenId.value = "";
      chosen.textContent = "—";
      results.textContent = "";
      var error = picker.querySelector("#ac-error");
      if (error) error.remove();
      picker.hidden = false;
      if (!rootLoaded) {
        rootLoaded = true;
        lastLevel = { parent: "", container: tree };
        loadLevel("", tree);
      }
      picker.scrollIntoView({ block: "start" });
      searchInput.focus();
    }

    document.querySelectorAll(".ac-open").forEach(function (button) {
      button.addEventListener("click", function () {
        openFor(button.dataset.category, button.dataset.name);
      });
    });
    picker.querySelector("#ac-close").addEventListener("click", function () {
      picker.hidden = true;
    });
    function runSearch() {
      var query = searchInput.value.trim();
      if (!query) return;
      say(ds.msgLoading);
      getJSON(ds.searchUrl, { app: app, q: query })
        .then(function (data) {
          showResults(data.categories);
          say(ds.msgSearchHint);
        })
        .catch(function (error) {
          say(error.message, true);
        });
    }
    picker.querySelector("#ac-search-button").addEventListener("click", runSearch);
    searchInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        runSearch();
      }
    });
    picker.querySelector("#ac-suggest").addEventListener("click", function () {
      say(ds.msgLoading);
      getJSON(ds.suggestUrl, { app: app, category: categoryInput.value })
        .then(function (data) {
          showResults(data.categories);
          say("");
        })
        .catch(function (error) {
          say(error.message, true);
        });
    });
    picker.querySelector("#ac-refresh").addEventListener("click", function () {
      loadLevel(lastLevel.parent, lastLevel.container || tree, true);
    });
    if (!picker.hidden) {
      // Re-shown after a refused save: load the roots again.
      rootLoaded = true;
      loadLevel("", tree);
    }
  }

  function initDependentSelects(form) {
    form.querySelectorAll("select[data-depends-on]").forEach(function (child) {
      var parent = document.getElementById(child.dataset.dependsOn);
      if (!parent) return;
      function filter() {
        var chosen = Array.prototype.filter
          .call(parent.options, function (option) {
            return option.selected && option.value;
          })
          .map(function (option) {
            return option.value;
          });
        Array.prototype.forEach.call(child.options, function (option) {
          if (!option.value || !option.dataset.depends) return;
          var allowed = option.dataset.depends.split(" ");
          var ok =
            chosen.length > 0 &&
            chosen.some(function (value) {
              return allowed.indexOf(value) !== -1;
            });
          option.hidden = !ok;
          option.disabled = !ok;
          if (!ok && option.selected) option.selected = false;
        });
      }
      parent.addEventListener("change", filter);
      filter();
    });
  }

  // Allegro's displayedIf / requiredIf: a parameter applies, or is required, only while other parameters
  // have certain values (the server checks the same rules). A parameter that does not apply is hidden and
  // its fields disabled, so nothing is sent for it.
  function initConditions(container) {
    var rows = container.querySelectorAll(".ac-param[data-displayed-if], .ac-param[data-required-if]");
    if (!rows.length) return;
    function fields(paramId) {
      var row = document.getElementById("row-param-" + paramId);
      return row ? Array.prototype.slice.call(row.querySelectorAll("input, select")) : [];
    }
    function chosen(paramId) {
      var values = [];
      fields(paramId).forEach(function (input) {
        if (input.disabled || input.tagName !== "SELECT") return;
        Array.prototype.forEach.call(input.options, function (option) {
          if (option.selected && option.value) values.push(option.value);
        });
      });
      return values;
    }
    function filled(paramId) {
      return fields(paramId).some(function (input) {
        if (input.disabled) return false;
        if (input.tagName === "SELECT") {
          return Array.prototype.some.call(input.options, function (option) {
            return option.selected && option.value;
          });
        }
        return input.value.trim() !== "";
      });
    }
    function met(conditions) {
      var withValue = conditions.parametersWithValue || [];
      var withoutValue = conditions.parametersWithoutValue || [];
      return (
        withValue.every(function (condition) {
          return chosen(condition.id).some(function (value) {
            return condition.oneOfValueIds.indexOf(value) !== -1;
          });
        }) &&
        withoutValue.every(function (condition) {
          return !filled(condition.id);
        })
      );
    }
    function apply() {
      rows.forEach(function (row) {
        if (row.dataset.displayedIf) {
          var shown = met(JSON.parse(row.dataset.displayedIf));
          row.hidden = !shown;
          row.querySelectorAll("input, select").forEach(function (input) {
            input.disabled = !shown;
          });
        }
        if (row.dataset.requiredIf) {
          var required = met(JSON.parse(row.dataset.requiredIf));
          var star = row.querySelector(".required-star");
          if (star) star.hidden = !required;
          var label = row.querySelector("label");
          if (label) label.classList.toggle("required", required);
        }
      });
    }
    container.addEventListener("change", apply);
    container.addEventListener("input", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var picker = document.getElementById("ac-picker");
    if (picker) initPicker(picker);
    var form = document.getElementById("ac-parameters-form") || document.getElementById("ao-parameters");
    if (form) {
      initDependentSelects(form);
      initConditions(form);
    }
  });
})();
