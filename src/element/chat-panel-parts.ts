/**
 * The parts of the chat panel (src/element/chat-panel.ts), passed up through `<videocall-room>` with `exportparts`:
 * a module of their own, so the element names them without loading the panel.
 */
export const CHAT_PANEL_PARTS = [
  'chat',
  'chat-header',
  'chat-title',
  'chat-close',
  'chat-log',
  'chat-list',
  'chat-empty',
  'chat-message',
  'chat-own',
  'chat-private',
  'chat-meta',
  'chat-sender',
  'chat-to',
  'chat-time',
  'chat-text',
  'chat-form',
  'chat-recipient',
  'chat-input',
  'chat-send',
  'chat-error',
].join(', ');
