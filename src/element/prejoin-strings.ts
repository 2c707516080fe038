/**
 * The pre-join screen's user-facing strings (English and Italian), loaded with the
 * screen: a key the page already reworded with `defineStrings` is kept.
 */
import { defineMissingStrings } from './i18n.js';

defineMissingStrings({
  en: {
    'prejoin.title': 'Ready to join?',
    'prejoin.room': 'Room: {room}',
    'prejoin.name': 'Your name',
    'prejoin.namePlaceholder': 'How others will see you',
    'prejoin.nameMissing': 'Enter your name to join.',
    'prejoin.join': 'Join',
    'prejoin.preview': 'Your camera preview',
    'prejoin.cameraOff': 'Camera is off',
    'prejoin.micLevel': 'Microphone level',
    'prejoin.cameraBlocked':
      'The camera is blocked for this site: allow it in the browser to be seen. You can join without it.',
    'prejoin.micBlocked':
      'The microphone is blocked for this site: allow it in the browser to be heard. You can join without it.',
    'prejoin.cameraMissing': 'No camera was found. You can join without one.',
    'prejoin.micMissing': 'No microphone was found. You can join without one.',
  },
  it: {
    'prejoin.title': 'Pronto a entrare?',
    'prejoin.room': 'Stanza: {room}',
    'prejoin.name': 'Il tuo nome',
    'prejoin.namePlaceholder': 'Come ti vedranno gli altri',
    'prejoin.nameMissing': 'Scrivi il tuo nome per entrare.',
    'prejoin.join': 'Entra',
    'prejoin.preview': 'Anteprima della videocamera',
    'prejoin.cameraOff': 'Videocamera spenta',
    'prejoin.micLevel': 'Livello del microfono',
    'prejoin.cameraBlocked':
      'La videocamera è bloccata per questo sito: consentila nel browser per farti vedere. Puoi entrare anche senza.',
    'prejoin.micBlocked':
      'Il microfono è bloccato per questo sito: consentilo nel browser per farti sentire. Puoi entrare anche senza.',
    'prejoin.cameraMissing': 'Nessuna videocamera trovata. Puoi entrare anche senza.',
    'prejoin.micMissing': 'Nessun microfono trovato. Puoi entrare anche senza.',
  },
});
