// Pictures for people: panels of input | truth | prediction, masks drawn over images, training curves and boxplots
// of scores per image.
export { palette, hexColour, type Colour } from './palette.js';
export { writePanel, PANEL_LAYOUT, type PanelRow, type PanelOptions } from './panel.js';
export { overlay, type OverlayOptions } from './overlay.js';
export { curves, writeCurves } from './curves.js';
export { boxplotSvg, writeBoxplot, boxStats, type BoxGroup, type BoxStats, type BoxplotOptions } from './boxplot.js';
