// « P5D » → « 5 jours » / "5 days": the words come from the page (editor.js passes its `tn` and `t`,
// reading editor_texts.py; the French ones are those of web/core/presentation.py duration_fr).
const UNITS = [ 'years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds' ];

export function durationText(iso, tn, t) {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso || '');
  if (!match || iso === 'P' || iso.endsWith('T')) {
    return t('duration_unknown');
  }
  const words = [];
  UNITS.forEach((unit, index) => {
    const amount = match[index + 1] ? parseInt(match[index + 1], 10) : 0;
    if (amount) {
      words.push(tn(unit, amount));
    }
  });
  return words.length ? words.join(' ') : t('duration_zero');
}
