// The chat page, bundled with the SDK into /assets/app.js by scripts/build-client-bundle.js.
// Its topics and events are typed by sample/generated/topics.ts, which `dws-asyncapi --types`
// generates from the gateway's declarations: a payload that does not fit its schema does not
// compile. The SDK reconnects and resumes by itself: this page only renders what it is told.
import {
  connect,
  type DistributedWsClient,
  type DwsClientError,
  type PresenceMember,
  type Subscription,
} from '../../lib/client/index.js';
import type { ChatRoomsMessage, EventMap, TopicMap } from '../generated/topics.js';

(() => {
  const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
  const statusEl = $('status');
  const messagesEl = $('messages');
  const errorEl = $('error');
  const roomInput = $<HTMLInputElement>('room');
  const nameInput = $<HTMLInputElement>('name');
  const textInput = $<HTMLInputElement>('text');
  const whoEl = $('who');

  // `?ws=ws://a:3000/ws,ws://b:3001/ws` lists the instances to fail over between (the SDK starts
  // with the first and reconnects to the others); by default the page talks to the instance that
  // served it. A demo convenience:
  // the page holds no credentials, but a real app should not take its endpoints from the URL.
  function endpoints(): string | string[] {
    const list = new URL(location.href).searchParams.get('ws');
    const urls = (list ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean);
    if (urls.length > 0) return urls;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/ws`;
  }

  let client: DistributedWsClient<TopicMap, EventMap>;
  try {
    client = connect<TopicMap, EventMap>({ url: endpoints() });
  } catch (error) {
    // A mistyped `?ws=`: say so instead of leaving the page "connecting…" forever.
    setStatus('disconnected', 'disconnected');
    showError(`${(error as DwsClientError).code}: ${(error as Error).message}`);
    return;
  }

  let room: string | null = null;
  let leaveRoom: Subscription | null = null;
  // Who is in the current room, by connection id (presence, on every instance).
  const members = new Map<string, PresenceMember>();

  function setStatus(state: string, label: string): void {
    statusEl.dataset.state = state;
    statusEl.textContent = label;
  }

  function showError(message: string): void {
    errorEl.textContent = message;
  }

  function addLine(className: string, parts: [string | null, string][]): void {
    const li = document.createElement('li');
    li.className = className;
    if (className === 'note') li.style.color = '#666';
    for (const [partClass, text] of parts) {
      const span = document.createElement('span');
      if (partClass) span.className = partClass;
      span.textContent = text; // never innerHTML: messages come from other users
      li.append(span);
    }
    messagesEl.append(li);
    li.scrollIntoView({ block: 'nearest' });
  }

  function renderMessage(message: ChatRoomsMessage): void {
    addLine('message', [
      ['author', `${message.author ?? 'anonymous'}:`],
      ['text', message.text],
    ]);
  }

  function memberName(member: PresenceMember): string {
    const info = member.info as { name?: string } | null | undefined;
    return info?.name || `guest-${member.connectionId.slice(0, 6)}`;
  }

  function renderMembers(): void {
    whoEl.textContent = [...members.values()].map(memberName).sort().join(', ');
  }

  // Join/leave events are not replayed after a reconnection: ask for the whole list then.
  function refreshMembers(name: string): void {
    client.presence(`chat/rooms/${name}`).then(
      (list) => {
        if (room !== name) return;
        members.clear();
        for (const member of list) members.set(member.connectionId, member);
        renderMembers();
      },
      (error: DwsClientError) => console.warn('[dws] presence', error.code, error.message),
    );
  }

  function join(name: string): void {
    if (leaveRoom) leaveRoom();
    room = name;
    messagesEl.replaceChildren();
    members.clear();
    renderMembers();
    showError('');
    const info = { name: nameInput.value.trim() || undefined };
    leaveRoom = client.subscribe(`chat/rooms/${name}`, renderMessage, { info });
    leaveRoom.ready.then(
      () => {
        // The answer may come after the user switched rooms: don't note a room already left.
        if (room !== name) return;
        addLine('note', [[null, `You joined #${name}.`]]);
        refreshMembers(name);
      },
      (error: DwsClientError) => {
        if (room === name) showError(`Cannot join #${name}: ${error.message}`);
      },
    );
  }

  client.on('connected', ({ resumed }) => {
    setStatus('connected', resumed ? 'connected (resumed)' : 'connected');
    if (resumed && room) refreshMembers(room);
  });
  client.on('presence', ({ topic, action, member }) => {
    if (topic !== `chat/rooms/${room}`) return;
    if (action === 'join') members.set(member.connectionId, member);
    else members.delete(member.connectionId);
    renderMembers();
  });
  client.on('disconnected', ({ willReconnect }) => {
    if (willReconnect) setStatus('reconnecting', 'reconnecting…');
    else setStatus('disconnected', 'disconnected');
  });
  const whyNotRecovered: Record<string, string> = {
    window: 'you were away longer than the server keeps messages',
    epoch: 'the server lost its message history',
    limit: 'too many messages were missed',
    positions: 'the server could not tell what you had seen',
    session: 'the server no longer knows this session',
  };
  client.on('notRecovered', ({ reason }) => {
    // Messages sent while we were away are gone: start the list over rather than show a gap.
    messagesEl.replaceChildren();
    const why = whyNotRecovered[reason] ?? reason;
    addLine('note', [[null, `Some messages may be missing (${why}); the list restarts here.`]]);
  });
  client.on('error', (error) => console.warn('[dws]', error.code, error.message));

  $('join').addEventListener('submit', (event) => {
    event.preventDefault();
    join(roomInput.value.trim());
  });

  $('send').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!room) return showError('Join a room first.');
    const text = textInput.value;
    const author = nameInput.value.trim();
    client
      .publish(`chat/rooms/${room}`, author ? { text, author } : { text })
      .then(() => {
        textInput.value = '';
        showError('');
      })
      .catch((error: DwsClientError) => showError(`${error.code}: ${error.message}`));
  });

  join(roomInput.value.trim());
})();
