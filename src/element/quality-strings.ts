/** The connection indicator's and the settings panel's "Statistics" strings in English (Italian: strings-it.ts); the panel's own are in stats-strings.ts. */
import { defineStrings } from './i18n.js';

defineStrings({
  en: {
    'stats.open': 'Statistics',
    'stats.quality.good': 'good',
    'stats.quality.fair': 'fair',
    'stats.quality.poor': 'poor',
    'stats.connection': 'Connection: {quality}',
  },
});
