// « P5D » → « 5 jours » (the same words as web/core/presentation.py duration_fr).
const NAMES = [
  [ 'Y', 'an', 'ans', false ], [ 'M', 'mois', 'mois', false ], [ 'W', 'semaine', 'semaines', false ],
  [ 'D', 'jour', 'jours', false ], [ 'H', 'heure', 'heures', true ], [ 'M', 'minute', 'minutes', true ],
  [ 'S', 'seconde', 'secondes', true ]
];

export function durationFr(iso) {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso || '');
  if (!match || iso === 'P' || iso.endsWith('T')) {
    return 'durée non reconnue (exemples : P30D, P2M, PT48H)';
  }
  const words = [];
  NAMES.forEach(([ , one, many ], index) => {
    const amount = match[index + 1] ? parseInt(match[index + 1], 10) : 0;
    if (amount) {
      words.push(`${amount} ${amount === 1 ? one : many}`);
    }
  });
  return words.length ? words.join(' ') : 'durée nulle';
}
