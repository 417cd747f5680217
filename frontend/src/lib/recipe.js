// The edit recipe's controls (docs/edit-recipe.md), and reading and writing
// their values in a recipe object by path.

/** Sliders by section: [path, label, min, max, step, neutral]. */
export const SLIDERS = {
  Light: [
    ['exposure', 'Exposure', -5, 5, 0.05, 0],
    ['contrast', 'Contrast', -100, 100, 1, 0],
    ['highlights', 'Highlights', -100, 100, 1, 0],
    ['shadows', 'Shadows', -100, 100, 1, 0],
    ['whites', 'Whites', -100, 100, 1, 0],
    ['blacks', 'Blacks', -100, 100, 1, 0],
  ],
  Colour: [
    ['white_balance.temperature', 'Temperature (K)', 2000, 15000, 50, 6504],
    ['white_balance.tint', 'Tint', -150, 150, 1, 0],
    ['saturation', 'Saturation', -100, 100, 1, 0],
    ['vibrance', 'Vibrance', -100, 100, 1, 0],
  ],
  Effects: [
    ['vignette.amount', 'Vignette', -100, 100, 1, 0],
    ['vignette.midpoint', 'Vignette midpoint', 0, 100, 1, 50],
    ['sharpening.amount', 'Sharpening', 0, 300, 5, 0],
    ['sharpening.radius', 'Sharpening radius', 0.3, 3, 0.1, 1],
  ],
};

export const ASPECTS = [
  ['free', 'Free'],
  ['1:1', '1:1'],
  ['3:2', '3:2'],
  ['2:3', '2:3'],
  ['4:3', '4:3'],
  ['16:9', '16:9'],
  ['4:5', '4:5'],
];

export function getPath(recipe, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), recipe);
}

/** A copy of `recipe` with `path` set to `value` (undefined removes it, and empty parents with it). */
export function setPath(recipe, path, value) {
  const copy = structuredClone(recipe ?? {});
  const keys = path.split('.');
  let node = copy;
  keys.slice(0, -1).forEach((k) => {
    node[k] = { ...(node[k] ?? {}) };
    node = node[k];
  });
  if (value === undefined) delete node[keys.at(-1)];
  else node[keys.at(-1)] = value;
  if (keys.length > 1 && Object.keys(copy[keys[0]]).length === 0) delete copy[keys[0]];
  return copy;
}

/** The recipe as sent: schema version 1 first (sliders at neutral have already removed their fields). */
export function cleanRecipe(recipe) {
  const out = structuredClone(recipe ?? {});
  delete out.version;
  return { version: 1, ...out };
}

export function sameRecipe(a, b) {
  return JSON.stringify(cleanRecipe(a)) === JSON.stringify(cleanRecipe(b));
}
