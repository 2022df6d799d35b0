// A vega-lite spec drawn as SVG text, for the curves and the boxplots. vega is large, so it loads on first use:
// most programs never draw a picture.
export async function vegaLiteSvg(spec: object): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
