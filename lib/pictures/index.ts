// Pictures for people: one file a kind of picture.
export * from './panel.js';
