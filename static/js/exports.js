// Keeps the progress bars of "我的下载" current while exports run, and reloads once one finishes so its
// download link appears. Without JavaScript the page's 刷新 link does the same.
(function () {
  "use strict";
  var table = document.querySelector("table.exports");
  if (!table) return;
  function unfinished() {
    return table.querySelectorAll('tr[data-status="pending"], tr[data-status="running"]').length > 0;
  }
  function poll() {
    if (!unfinished()) return;
    fetch(table.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (payload) {
        var reload = false;
        payload.exports.forEach(function (item) {
          var row = table.querySelector('tr[data-export="' + item.id + '"]');
          if (!row) return;
          var bar = row.querySelector("progress");
          if (bar) bar.value = item.progress;
          var label = row.querySelector("[data-label]");
          if (label) label.textContent = item.label;
          if (row.dataset.status !== item.status && (item.status === "done" || item.status === "failed")) reload = true;
          row.dataset.status = item.status;
        });
        if (reload) window.location.reload();
        else setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
