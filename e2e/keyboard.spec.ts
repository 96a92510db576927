/**
 * The keyboard-only journey: two people, one at phone width (390×844) and one at laptop width
 * (1280×800), start, pair with an invite link through the local worker, and chat with nothing but
 * the keyboard (Tab, Shift+Tab, Enter, Space, Escape and typing): no clicks, no fills. What a
 * person reads off the screen (the invite link) is read from the page and typed. After every step
 * the focus is asserted: on the control expected (by role and name), and visibly so.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { LAPTOP, PHONE, expectChatWith, messages, newPersonContext } from './people';

/** The focus is on `target`, which shows it (:focus-visible with an outline) and is on screen. */
async function expectFocus(target: Locator): Promise<void> {
  await expect(target).toBeFocused();
  await expect(target).toBeVisible();
  const ring = await target.evaluate((el) => {
    const style = getComputedStyle(el);
    return {
      focusVisible: el.matches(':focus-visible'),
      outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth),
    };
  });
  expect(ring.focusVisible, 'the focus is shown').toBe(true);
  expect(ring.outline, 'the focus ring is drawn').toBeGreaterThanOrEqual(1);
}

/** Presses Tab (or Shift+Tab) until `target` has the focus, as a person would; fails after `max`. */
async function tabTo(page: Page, target: Locator, options: { back?: boolean; max?: number } = {}) {
  const key = options.back ? 'Shift+Tab' : 'Tab';
  const max = options.max ?? 40;
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await target.evaluate((el) => el === document.activeElement)) {
      await expectFocus(target);
      return;
    }
  }
  throw new Error(`${max} presses of ${key} did not reach ${target.toString()}.`);
}

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });
const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const bubble = (page: Page, text: string) =>
  messages(page).getByRole('listitem').filter({ hasText: text }).last();

/** The first run by keyboard: the name, then Enter; the list's heading gets the focus. */
async function startByKeyboard(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  await tabTo(page, page.getByRole('textbox', { name: 'Your name' }));
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expectFocus(page.getByRole('heading', { name: 'Conversations' }));
}

test('pairing and chatting with the keyboard only, at phone and laptop width', async ({ browser }) => {
  test.setTimeout(120_000);
  const aliceContext = await newPersonContext(browser);
  const bobContext = await newPersonContext(browser);
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
  await alice.setViewportSize(PHONE);
  await bob.setViewportSize(LAPTOP);
  await startByKeyboard(alice, 'Alice');
  await startByKeyboard(bob, 'Bob');

  // Alice makes an invite link; the focus moves on to the pairing screen's heading.
  await tabTo(alice, nav(alice, 'Pair'), { back: true });
  await alice.keyboard.press('Enter');
  await expect(alice.getByRole('heading', { name: 'Pair with someone' })).toBeVisible();
  await expectFocus(nav(alice, 'Pair'));
  await tabTo(alice, alice.getByRole('button', { name: 'Create invite link' }));
  await alice.keyboard.press('Enter');
  const link = await alice.getByTestId('invite-link').inputValue();
  expect(link).toMatch(/#join=/);
  await expectFocus(alice.getByRole('heading', { name: 'Pair with someone' }));
  await tabTo(alice, alice.getByRole('button', { name: 'Copy link' }));

  // Bob types the link he reads off Alice's screen and joins with Space.
  await tabTo(bob, nav(bob, 'Pair'), { back: true });
  await bob.keyboard.press('Enter');
  await expectFocus(nav(bob, 'Pair'));
  await tabTo(bob, bob.getByRole('textbox', { name: 'Paste an invite code or link' }));
  await bob.keyboard.type(link);
  await tabTo(bob, bob.getByRole('button', { name: 'Join' }));
  await bob.keyboard.press('Space');

  // Both chats open with the focus in the composer; Enter sends.
  await expectChatWith(alice, 'Bob');
  await expectChatWith(bob, 'Alice');
  await expectFocus(composer(alice));
  await expectFocus(composer(bob));
  await alice.keyboard.type('Hello Bob, typed on a keyboard');
  await alice.keyboard.press('Enter');
  await expect(messages(bob)).toContainText('Hello Bob, typed on a keyboard');
  await expectFocus(composer(alice));
  await bob.keyboard.type('Hi Alice, no mouse here either');
  await bob.keyboard.press('Enter');
  await expect(messages(alice)).toContainText('Hi Alice, no mouse here either');
  await expectFocus(composer(bob));

  // Alice (phone) goes back to the list, lands on Bob's entry, and opens the chat from there.
  await tabTo(alice, alice.getByRole('button', { name: 'Back to conversations' }), { back: true, max: 60 });
  await alice.keyboard.press('Enter');
  const aliceEntry = alice.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ });
  await expectFocus(aliceEntry);
  await alice.keyboard.press('Enter');
  await expectChatWith(alice, 'Bob');
  await expectFocus(composer(alice));

  // Bob (laptop, list beside the chat) opens an entry's actions and closes them with Escape.
  const bobMore = bob.getByRole('button', { name: 'Actions for Alice' });
  await tabTo(bob, bobMore, { back: true, max: 60 });
  await bob.keyboard.press('Enter');
  await expect(bobMore).toHaveAttribute('aria-expanded', 'true');
  await tabTo(bob, bob.getByRole('button', { name: 'Archive' }));
  await bob.keyboard.press('Escape');
  await expect(bob.getByRole('button', { name: 'Archive' })).toHaveCount(0);
  await expectFocus(bobMore);

  // Alice opens the actions of Bob's message: react, then Escape, then reply.
  const more = bubble(alice, 'Hi Alice, no mouse here either').getByRole('button', {
    name: 'More actions for this message',
  });
  const menu = bubble(alice, 'Hi Alice, no mouse here either').getByRole('group', {
    name: 'Message actions',
  });
  await tabTo(alice, more, { back: true });
  await alice.keyboard.press('Enter');
  await expect(menu).toBeVisible();
  await expectFocus(more);
  await tabTo(alice, menu.getByRole('button', { name: 'React with 👍' }));
  await alice.keyboard.press('Enter');
  await expect(menu).toHaveCount(0);
  await expectFocus(more);
  await expect(
    bubble(bob, 'Hi Alice, no mouse here either').getByRole('list', { name: 'Reactions' }),
  ).toContainText('👍');

  await alice.keyboard.press('Space');
  await expect(menu).toBeVisible();
  await alice.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expectFocus(more);

  await alice.keyboard.press('Enter');
  await tabTo(alice, menu.getByRole('button', { name: 'Reply' }));
  await alice.keyboard.press('Enter');
  await expectFocus(composer(alice));
  await expect(alice.getByRole('button', { name: 'Cancel reply' })).toBeVisible();
  await alice.keyboard.type('A reply, by keyboard');
  await alice.keyboard.press('Enter');
  const reply = bubble(bob, 'A reply, by keyboard');
  await expect(reply).toBeVisible();
  await expect(reply.locator('.quote')).toContainText('Hi Alice, no mouse here either');
  await expectFocus(composer(alice));

  // The safety number and back: the screen's heading takes the focus, and the chat its composer.
  await tabTo(alice, alice.getByRole('button', { name: 'Safety number' }), { back: true, max: 60 });
  await alice.keyboard.press('Enter');
  await expectFocus(alice.getByRole('heading', { name: 'Safety number with Bob' }));
  await expect(alice.getByTestId('safety-number')).toHaveText(/\d{5}/);
  await tabTo(alice, alice.getByRole('button', { name: 'Back to the chat' }), { back: true });
  await alice.keyboard.press('Enter');
  await expectChatWith(alice, 'Bob');
  await expectFocus(composer(alice));

  // Settings and back, from the list.
  await tabTo(alice, alice.getByRole('button', { name: 'Back to conversations' }), { back: true, max: 60 });
  await alice.keyboard.press('Enter');
  await expectFocus(aliceEntry);
  await tabTo(alice, nav(alice, 'Settings'), { back: true });
  await alice.keyboard.press('Enter');
  await expect(alice.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expectFocus(nav(alice, 'Settings'));
  await tabTo(alice, alice.getByRole('button', { name: 'Back to conversations' }));
  await alice.keyboard.press('Enter');
  await expectFocus(alice.getByRole('heading', { name: 'Conversations' }));

  await Promise.all([aliceContext.close(), bobContext.close()]);
});
