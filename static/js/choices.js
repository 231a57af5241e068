// Type-ahead for long choice lists (accounts/choices.py).
//
// <select data-choices="estates" data-choices-url="/choices/estates/?purpose=inspect"> holds only its
// selected option(s); this script turns it into a Tom Select (static/vendor/tom-select) that asks the
// URL for 20 matches at a time (?q=…&page=…) as the user types or scrolls. The <select> stays the
// form's field, so the form submits and validates as before; without JavaScript it still submits the
// kept value. Texts come from the <script> tag's data-msg-* attributes (translated in base.html).
// Keyboard: Tab to the field, type to search, ↑/↓ to move, Enter to pick, Esc to close,
// Backspace (or the × button) to clear.
(function () {
  "use strict";
  var script = document.currentScript;
  var msg = (script && script.dataset) || {};
  var text = {
    placeholder: msg.msgPlaceholder || "输入名称搜索…",
    noResults: msg.msgNoResults || "无匹配结果",
    loadingMore: msg.msgLoadingMore || "正在加载更多…",
    noMore: msg.msgNoMore || "没有更多结果",
    failed: msg.msgFailed || "加载失败，请重试",
    clear: msg.msgClear || "清除",
    remove: msg.msgRemove || "移除"
  };

  function pageUrl(base, query, page) {
    var url = new URL(base, window.location.href);
    url.searchParams.set("q", query);
    url.searchParams.set("page", String(page));
    return url.toString();
  }

  function enhance(select) {
    if (select.tomselect || typeof TomSelect === "undefined") return;
    var base = select.dataset.choicesUrl;
    var multiple = select.multiple;
    var failed = false;
    var plugins = {virtual_scroll: {}};
    if (multiple) {
      plugins.remove_button = {title: text.remove};
    } else if (!select.required) {
      plugins.clear_button = {title: text.clear};
    }
    new TomSelect(select, {
      valueField: "id",
      labelField: "text",
      searchField: [],
      // The server searches (by name) and orders; here only the options already loaded that cannot match
      // are hidden while the server's answer is on its way (a name match is always a label match).
      score: function (query) {
        var q = String(query || "").toLowerCase();
        return function (item) {
          return !q || String(item.text || "").toLowerCase().indexOf(q) !== -1 ? 1 : 0;
        };
      },
      maxOptions: null,
      preload: "focus",
      loadThrottle: 250,
      placeholder: select.dataset.placeholder || text.placeholder,
      hidePlaceholder: true,
      plugins: plugins,
      firstUrl: function (query) { return pageUrl(base, query, 1); },
      load: function (query, callback) {
        var self = this;
        var url = self.getUrl(query);
        failed = false;
        fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            return response.json();
          })
          .then(function (data) {
            if (data.more) {
              var page = Number(new URL(url).searchParams.get("page") || "1");
              self.setNextUrl(query, pageUrl(base, query, page + 1));
            }
            callback(data.results);
          })
          .catch(function () { failed = true; callback(); });
      },
      render: {
        no_results: function (data, escape) {
          return '<div class="no-results">' + escape(failed ? text.failed : text.noResults) + "</div>";
        },
        loading_more: function (data, escape) {
          return '<div class="loading-more-results py-2 d-flex align-items-center"><div class="spinner"></div> ' +
            escape(text.loadingMore) + "</div>";
        },
        no_more_results: function (data, escape) {
          return '<div class="no-more-results">' + escape(text.noMore) + "</div>";
        }
      }
    });
  }

  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("select[data-choices-url]")) enhance(scope);
    scope.querySelectorAll("select[data-choices-url]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Fields that arrive in an htmx swap.
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
