/**
 * The settings panel's strings (src/element/device-settings.ts), in a module of their own:
 * the control bar's settings button needs its label before the panel is loaded.
 */
import { defineStrings } from './i18n.js';

defineStrings({
  en: {
    'settings.title': 'Settings',
    'settings.camera': 'Camera',
    'settings.mic': 'Microphone',
    'settings.speaker': 'Speaker',
    'settings.default': 'Default',
    'settings.unnamed': '{kind} {n}',
    'settings.none': 'None found',
    'settings.speakerFixed': 'This browser plays calls through the system’s audio output.',
    'settings.close': 'Close settings',
  },
});
