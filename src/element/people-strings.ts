/**
 * The People panel's user-facing strings (English and Italian), loaded with the
 * panel (its button's few are in people-button.ts). The panel loads after the
 * page may have reworded them with `defineStrings`: a key the page already
 * defined in a language is kept, not overwritten.
 */
import { defineMissingStrings, type StringTable } from './i18n.js';

const ours: Record<string, StringTable> = {
  en: {
    'people.title': 'People',
    'people.list': 'In the call',
    'people.filter': 'Find a person',
    'people.filterPlaceholder': 'Search by name',
    'people.noMatch': 'No one matches “{query}”.',
    'people.you': '{name} (you)',
    'people.show': 'Show {name} on the stage',
    'people.micOn': 'Microphone on',
    'people.micOff': 'Microphone off',
    'people.cameraOn': 'Camera on',
    'people.cameraOff': 'Camera off',
    'people.screen': 'Sharing their screen',
    'people.speaking': 'Speaking',
    'people.handRaised': 'Hand raised ({position})',
    'people.lowerOwnHand': 'Lower your hand',
  },
  it: {
    'people.title': 'Persone',
    'people.list': 'Nella chiamata',
    'people.filter': 'Cerca una persona',
    'people.filterPlaceholder': 'Cerca per nome',
    'people.noMatch': 'Nessuno corrisponde a «{query}».',
    'people.you': '{name} (tu)',
    'people.show': 'Mostra {name} sullo schermo',
    'people.micOn': 'Microfono acceso',
    'people.micOff': 'Microfono spento',
    'people.cameraOn': 'Videocamera accesa',
    'people.cameraOff': 'Videocamera spenta',
    'people.screen': 'Sta condividendo lo schermo',
    'people.speaking': 'Sta parlando',
    'people.handRaised': 'Mano alzata ({position})',
    'people.lowerOwnHand': 'Abbassa la mano',
  },
};

defineMissingStrings(ours);
