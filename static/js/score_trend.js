// Score-trend line charts (inspections/_estate_panel.html): every [data-series] element gets one.
(function () {
  "use strict";
  if (!window.echarts) return;
  document.querySelectorAll(".trend-chart[data-series]").forEach(function (el) {
    if (el.dataset.drawn) return;
    var source = document.getElementById(el.dataset.series);
    if (!source) return;
    var points = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      grid: {left: 36, right: 12, top: 16, bottom: 28},
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: points.map(function (p) { return p.date; }), axisLabel: {fontSize: 10}},
      yAxis: {type: "value", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10 - 10); }, max: 100},
      series: [{name: el.dataset.label || "", type: "line", data: points.map(function (p) { return p.total; }),
                smooth: false, symbolSize: 7, label: {show: points.length <= 12, position: "top", fontSize: 10},
                lineStyle: {color: "#1f4e79"}, itemStyle: {color: "#1f4e79"}}]
    });
    el.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
