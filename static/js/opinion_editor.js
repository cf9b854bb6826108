// A small editor for the finance opinion: paragraphs, numbered and bulleted lists, bold. It edits a
// contenteditable copy and keeps the form's textarea in sync; the server sanitises whatever arrives, so this
// script is a convenience, never a safeguard. Without JavaScript the plain textarea remains.
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-opinion-editor]").forEach(function (textarea) {
    var toolbar = document.createElement("div");
    toolbar.className = "editor-toolbar";
    var area = document.createElement("div");
    area.className = "editor-area";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-label", "财政抽查审核意见");
    var value = textarea.value.trim();
    // Plain text (typed without the editor) becomes one paragraph per line.
    if (value && value.charAt(0) !== "<") {
      value = value.split(/\n+/).map(function (line) {
        var p = document.createElement("p");
        p.textContent = line;
        return p.outerHTML;
      }).join("");
    }
    area.innerHTML = value || "<p><br></p>";
    [["bold", "加粗"], ["insertOrderedList", "编号列表"], ["insertUnorderedList", "项目符号列表"]].forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = item[1];
      button.addEventListener("click", function () {
        area.focus();
        document.execCommand(item[0], false, null);
        sync();
      });
      toolbar.appendChild(button);
    });
    function sync() { textarea.value = area.innerHTML; }
    area.addEventListener("input", sync);
    area.addEventListener("focus", function () { document.execCommand("defaultParagraphSeparator", false, "p"); });
    textarea.hidden = true;
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(area, textarea);
    textarea.form.addEventListener("submit", sync);
  });
})();
