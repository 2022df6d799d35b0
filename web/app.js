// The page's script: lists the models, sends the chosen image to the segment route twice (the overlay, and the
// per-class areas as JSON) and shows both. Plain browser JavaScript, served as it is.
const $ = (id) => document.getElementById(id);
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/tiff', 'image/webp'];
let models = [];
let shown;

const setState = (state, message = '') => {
  document.body.dataset.state = state;
  $('status').textContent = message;
};

function showMetadata() {
  const model = models.find((item) => item.name === $('model').value);
  const { inChannels, classes, classNames, minSize, tileSize, precision } = model.parameters;
  const rows = [
    ['Input channels', inChannels],
    ['Classes', classes === 1 ? '1 (binary)' : classes],
    ['Mask values', classNames.join(', ')],
    ['Image size', `at least ${minSize} x ${minSize}; tiled above ${tileSize}`],
    ['Precision', precision],
  ];
  $('metadata').replaceChildren(...rows.flatMap(([term, value]) => [el('dt', term), el('dd', String(value))]));
}

function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

async function errorOf(response) {
  const body = await response.json().catch(() => ({}));
  return body.error ?? `${response.status} ${response.statusText}`;
}

async function segmentFile(file) {
  const name = $('model').value;
  const model = models.find((item) => item.name === name);
  setState('working', `Segmenting ${file.name} with ${name}…`);
  if (shown) URL.revokeObjectURL(shown);
  shown = URL.createObjectURL(file);
  $('input').src = shown;
  const send = (output) =>
    fetch(`v1/models/${encodeURIComponent(name)}/segment?output=${output}`, {
      method: 'POST',
      // The server reads the format from the bytes; a type it does not take would only be refused.
      headers: { 'content-type': IMAGE_TYPES.includes(file.type) ? file.type : 'application/octet-stream' },
      body: file,
    });
  const [overlay, summary] = await Promise.all([send('overlay'), send('json')]);
  if (!overlay.ok) return setState('error', await errorOf(overlay));
  if (!summary.ok) return setState('error', await errorOf(summary));
  const { width, height, classes } = await summary.json();
  const picture = $('overlay');
  URL.revokeObjectURL(picture.src);
  picture.src = URL.createObjectURL(await overlay.blob());
  await picture.decode();
  $('areas').tBodies[0].replaceChildren(
    ...classes.map(({ index, name: className, pixels, fraction }) => {
      const row = el('tr', '', { 'data-class': String(index), 'data-pixels': String(pixels) });
      const swatch = el('span', '', { class: 'swatch', style: `background:${model.parameters.classColours[index]}` });
      const label = el('td', className);
      label.prepend(swatch);
      row.append(label, el('td', pixels.toLocaleString('en')), el('td', `${(100 * fraction).toFixed(2)}%`));
      return row;
    }),
  );
  setState('done', `${file.name}: ${width} x ${height} pixels`);
}

const run = (file) => segmentFile(file).catch((error) => setState('error', error.message));

$('file').addEventListener('change', () => $('file').files[0] && run($('file').files[0]));
$('model').addEventListener('change', showMetadata);
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  if (event.dataTransfer.files[0]) run(event.dataTransfer.files[0]);
});

try {
  const response = await fetch('v1/models');
  if (!response.ok) throw new Error(await errorOf(response));
  ({ models } = await response.json());
  $('model').replaceChildren(...models.map(({ name }) => el('option', name, { value: name })));
  showMetadata();
  setState('ready', 'Choose an image.');
} catch (error) {
  setState('error', `Cannot list the models: ${error.message}`);
}
