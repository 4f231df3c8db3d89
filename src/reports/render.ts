import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Default typeface of every chart; DejaVu Sans ships with most Linux distributions. */
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

/**
 * Renders a Vega-Lite spec to a standalone SVG document in Node, with no browser:
 * Vega's headless view (`renderer: 'none'`) draws the scene graph as SVG markup.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const withFont = {
    ...spec,
    config: { font: FONT, background: 'white', ...(spec.config ?? {}) },
  } as TopLevelSpec;
  const compiled = compile(withFont).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Turns an SVG document into PNG bytes with resvg (a Rust renderer shipped as a
 * prebuilt npm binary). `scale` multiplies the SVG's own size.
 */
export function svgToPng(svg: string, scale = 2): Buffer {
  const renderer = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return renderer.render().asPng();
}
