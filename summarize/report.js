// Sort a table by the clicked column (data-v holds the sort key when the
// text is not one), and open every client for printing. The page works
// without it.
document.documentElement.dataset.js = "on";
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.tabIndex = 0;
  th.title = "Sort by this column";
  function sort() {
    var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    var asc = th.dataset.dir !== "asc";
    table.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = asc ? "asc" : "desc";
    var rows = Array.prototype.slice.call(body.rows);
    function key(r) { var c = r.cells[col]; return c.dataset.v !== undefined ? c.dataset.v : c.textContent; }
    var numeric = rows.every(function (r) { var k = key(r); return k === "" || !isNaN(k); });
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  th.addEventListener("click", sort);
  th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
});
addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
