"""matplotlib's boxplot numbers (cbook.boxplot_stats, whis=1.5) for the value lists on stdin, and the structure of
the SVGs on stdin as an XML parser reads them: the elements in each vega mark group and the texts."""
import json
import sys
import xml.etree.ElementTree as ElementTree

from matplotlib import cbook

SVG = "{http://www.w3.org/2000/svg}"
request = json.load(sys.stdin)
stats = []
for values in request["values"]:
    (box,) = cbook.boxplot_stats(values, whis=1.5)
    stats.append({"mean": float(box["mean"]), "q1": float(box["q1"]), "median": float(box["med"]), "q3": float(box["q3"]),
                  "whiskerLow": float(box["whislo"]), "whiskerHigh": float(box["whishi"]),
                  "outliers": sorted(float(v) for v in box["fliers"])})
pictures = []
for svg in request["svgs"]:
    root = ElementTree.fromstring(svg)  # raises on XML that is not well-formed
    marks = {}
    for group in root.iter(SVG + "g"):
        for name in group.get("class", "").split():
            if name.endswith("_marks"):
                marks[name[:-len("_marks")]] = [{"d": item.get("d"), "transform": item.get("transform")} for item in group]
    texts = [text.text for text in root.iter(SVG + "text") if text.text]
    pictures.append({"root": root.tag, "width": root.get("width"), "height": root.get("height"), "marks": marks, "texts": texts})
json.dump({"stats": stats, "pictures": pictures}, sys.stdout)
