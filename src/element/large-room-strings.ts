/** Strings of screen sharing, the speaker layout and pagination (English and Italian). */
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
  it: {
    'screen.start': 'Condividi lo schermo',
    'screen.stop': 'Interrompi la condivisione dello schermo',
    'screen.tile': 'Schermo di {name}',
    'screen.local': 'Il tuo schermo (condiviso)',
    'screen.audio': 'Con audio',
    'speaker.indicator': 'Sta parlando',
    'speaker.indicatorSelf': 'Stai parlando',
    'pager.label': 'Pagine dei partecipanti',
    'pager.previous': 'Pagina precedente',
    'pager.next': 'Pagina successiva',
    'pager.status': 'Pagina {page} di {pages}',
    'stage.filmstrip': 'Altri partecipanti',
  },
});

export { translate };
