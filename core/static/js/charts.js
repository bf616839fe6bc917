// Draw every [data-chart] element with ECharts, and redraw on resize.
(function () {
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = echarts.init(element);
      chart.setOption(JSON.parse(element.getAttribute("data-chart")));
      window.addEventListener("resize", function () { chart.resize(); });
      element.setAttribute("data-drawn", "true");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
