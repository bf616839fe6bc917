"""Charts for overview pages, drawn by ECharts served from the portal's own files.

A view builds a `Chart` and passes it to its template, which renders it with
`{{ chart_html(chart) }}`; no page loads anything from outside the portal, so
it works on a closed government network.
"""

import itertools
import json
from dataclasses import dataclass, field

from markupsafe import Markup, escape

_ids = itertools.count(1)


@dataclass
class Chart:
    """A bar, line or pie chart of labelled series."""

    title: str
    labels: list[str]
    series: dict[str, list[float]] = field(default_factory=dict)
    kind: str = "bar"  # "bar", "line" or "pie"
    height: int = 320
    # Counts have whole-number ticks; scores and amounts may set this off.
    whole_numbers: bool = True

    def option(self) -> dict:
        """The ECharts option object."""
        if self.kind == "pie":
            name, values = next(iter(self.series.items()))
            return {
                "title": {"text": self.title, "left": "center"},
                "tooltip": {"trigger": "item"},
                "series": [
                    {
                        "name": name,
                        "type": "pie",
                        "radius": "60%",
                        "data": [
                            {"name": label, "value": value}
                            for label, value in zip(self.labels, values, strict=True)
                        ],
                    }
                ],
            }
        return {
            "title": {"text": self.title},
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 28},
            "grid": {"top": 70, "left": 50, "right": 20, "bottom": 60},
            "xAxis": {
                "type": "category",
                "data": self.labels,
                "axisLabel": {"interval": 0, "rotate": 30},
            },
            "yAxis": {"type": "value", "minInterval": 1 if self.whole_numbers else 0},
            "series": [
                {"name": name, "type": self.kind, "data": values}
                for name, values in self.series.items()
            ],
        }


def chart_html(chart: Chart) -> Markup:
    """The placeholder element of a chart; static/js/charts.js draws it."""
    element_id = f"chart-{next(_ids)}"
    data = escape(json.dumps(chart.option(), ensure_ascii=False))
    return Markup(
        f'<div id="{element_id}" class="portal-chart" data-chart="{data}" '
        f'style="width:100%;height:{int(chart.height)}px"></div>'
    )
