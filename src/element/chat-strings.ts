/** The chat's user-facing strings in English (Italian: strings-it.ts). */
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
});
