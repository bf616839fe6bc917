// Draw every [data-chart] element with ECharts, and redraw on resize.
(function () {
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = echarts.init(element);
      // "finished" fires once every animation is done, so a printout or a
      // screenshot taken after data-drawn shows the chart complete.
      chart.on("finished", function () {
        element.setAttribute("data-drawn", "true");
      });
      // A chart with nothing to animate may never report; mark it anyway.
      window.setTimeout(function () {
        element.setAttribute("data-drawn", "true");
      }, 3000);
      var options = JSON.parse(element.getAttribute("data-chart"));
      // Honour the reader's wish for still pages: the chart appears drawn.
      if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
        options.animation = false;
      }
      chart.setOption(options);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
