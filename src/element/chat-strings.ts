/** The chat's user-facing strings (English and Italian), and the language an element speaks. */
import { defineStrings } from './i18n.js';

defineStrings({
  en: {
    'chat.title': 'Chat',
    'chat.open': 'Open chat',
    'chat.close': 'Close chat',
    'chat.unread': '{count} unread',
    'chat.to': 'To',
    'chat.everyone': 'Everyone',
    'chat.input': 'Message',
    'chat.placeholder': 'Write a message…',
    'chat.send': 'Send',
    'chat.you': 'You',
    'chat.private-to-you': 'to you, privately',
    'chat.private-to': 'to {name}, privately',
    'chat.empty': 'No messages yet. Messages are seen only by who is in the call now.',
    'chat.encrypted': 'End-to-end encrypted',
    'chat.someone': 'Someone who left',
  },
  it: {
    'chat.title': 'Chat',
    'chat.open': 'Apri la chat',
    'chat.close': 'Chiudi la chat',
    'chat.unread': '{count} non letti',
    'chat.to': 'A',
    'chat.everyone': 'Tutti',
    'chat.input': 'Messaggio',
    'chat.placeholder': 'Scrivi un messaggio…',
    'chat.send': 'Invia',
    'chat.you': 'Tu',
    'chat.private-to-you': 'a te, in privato',
    'chat.private-to': 'a {name}, in privato',
    'chat.empty': 'Ancora nessun messaggio. I messaggi li vede solo chi è ora nella chiamata.',
    'chat.encrypted': 'Cifrato end-to-end',
    'chat.someone': 'Qualcuno che è uscito',
  },
});
