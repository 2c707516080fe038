/** Strings of screen sharing, the speaker layout and pagination in English (Italian: strings-it.ts). */
import { defineStrings, translate } from './i18n.js';

defineStrings({
  en: {
    'screen.start': 'Share your screen',
    'screen.stop': 'Stop sharing your screen',
    'screen.tile': "{name}'s screen",
    'screen.local': 'Your screen (shared)',
    'screen.audio': 'With sound',
    'speaker.indicator': 'Speaking',
    'speaker.indicatorSelf': 'You are speaking',
    'pager.label': 'Pages of participants',
    'pager.previous': 'Previous page',
    'pager.next': 'Next page',
    'pager.status': 'Page {page} of {pages}',
    'stage.filmstrip': 'Other participants',
  },
});

export { translate };
