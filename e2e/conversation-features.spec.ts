/**
 * The conversation features at phone (390×844) and laptop (1280×800) width, by role and visible
 * text: reply (the quote over the composer, then in the bubble), reactions, edit ("edited"),
 * delete for everyone (both see the tombstone), delete for me (the other keeps it); read receipts
 * ("Read" on mine) and, turned off on one side, no "Read" either way; the typing indicator.
 */
import { expect, test, type Page } from '@playwright/test';
import { axeClean } from './axe';
import { pairedAliceAndBob } from './paired';
import { LAPTOP, PHONE, messages, openChat, say } from './people';

/** The bubble (list item) of the message with this text. */
function bubble(page: Page, text: string) {
  return messages(page).getByRole('listitem').filter({ hasText: text }).last();
}

/** Opens the actions menu of the message with this text and clicks one of its buttons. */
async function messageAction(page: Page, text: string, action: string): Promise<void> {
  const li = bubble(page, text);
  await li.getByRole('button', { name: 'More actions for this message' }).click();
  await li.getByRole('group', { name: 'Message actions' }).getByRole('button', { name: action }).click();
  if (action.startsWith('Delete')) {
    // A delete asks once more, with the focus on Cancel.
    const confirm = li.getByRole('group', { name: 'Message actions' });
    await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await confirm.getByRole('button', { name: action }).click();
  }
}

/** Settings → Privacy, from a chat or the list, then sets a checkbox and goes back to the chat. */
async function setPrivacy(page: Page, label: string, on: boolean, chatWith: string): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('checkbox', { name: label }).setChecked(on);
  await expect(page.getByRole('checkbox', { name: label })).toBeChecked({ checked: on });
  await openChat(page, chatWith);
}

for (const [label, size] of [
  ['phone', PHONE],
  ['laptop', LAPTOP],
] as const) {
  test(`${label}: reply, react, edit, delete for everyone, delete for me`, async ({ browser }) => {
    test.setTimeout(150_000);
    const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: size, bobSize: size });

    // Reply: the quoted message shows over the composer (and can be cancelled), then in the bubble.
    await messageAction(bob.page, 'Hello Bob, from Alice', 'Reply');
    await expect(bob.page.getByRole('button', { name: 'Cancel reply' })).toBeVisible();
    await bob.page.getByRole('button', { name: 'Cancel reply' }).click();
    await expect(bob.page.getByRole('button', { name: 'Cancel reply' })).toBeHidden();
    await messageAction(bob.page, 'Hello Bob, from Alice', 'Reply');
    await expect(bob.page.locator('.composer')).toContainText('Hello Bob, from Alice');
    await say(bob.page, 'Replying to your hello');
    await expect(bob.page.getByRole('button', { name: 'Cancel reply' })).toBeHidden();
    await expect(bubble(alice.page, 'Replying to your hello')).toContainText('You Hello Bob, from Alice');
    await expect(bubble(bob.page, 'Replying to your hello')).toContainText('Alice Hello Bob, from Alice');

    // React: Alice puts 👍 on Bob's reply; both see it under the bubble; Bob adds ❤️.
    await messageAction(alice.page, 'Replying to your hello', 'React with 👍');
    const bobReactions = bubble(bob.page, 'Replying to your hello').getByRole('list', { name: 'Reactions' });
    await expect(bobReactions).toContainText('👍 from Alice');
    await messageAction(bob.page, 'Replying to your hello', 'React with 👍');
    await expect(bobReactions).toContainText('👍 2');
    await expect(
      bubble(alice.page, 'Replying to your hello').getByRole('list', { name: 'Reactions' }),
    ).toContainText('👍 2');
    // Taken back.
    await messageAction(bob.page, 'Replying to your hello', 'Take back 👍');
    await expect(bobReactions).not.toContainText('👍 2');

    // Edit: marked "edited" on both sides; the old text is gone from the bubble.
    await say(alice.page, 'See you at nine');
    await expect(messages(bob.page)).toContainText('See you at nine');
    await messageAction(alice.page, 'See you at nine', 'Edit');
    await expect(alice.page.getByRole('button', { name: 'Cancel edit' })).toBeVisible();
    await expect(alice.page.getByRole('textbox', { name: 'Message' })).toHaveValue('See you at nine');
    await alice.page.getByRole('textbox', { name: 'Message' }).fill('See you at ten');
    await alice.page.getByRole('button', { name: 'Send' }).click();
    await expect(bubble(bob.page, 'See you at ten')).toContainText('edited');
    await expect(bubble(alice.page, 'See you at ten')).toContainText('edited');
    await expect(messages(bob.page)).not.toContainText('See you at nine');
    // The earlier version stays on each device, behind "edited".
    const edited = bubble(bob.page, 'See you at ten').getByRole('button', { name: /^edited/ });
    await edited.click();
    await expect(edited).toHaveAttribute('aria-expanded', 'true');
    await expect(bubble(bob.page, 'See you at ten')).toContainText('See you at nine');
    await edited.click();
    await expect(messages(bob.page)).not.toContainText('See you at nine');

    // Delete for everyone: both see the tombstone; only my own messages offer it.
    await say(alice.page, 'Wrong chat, sorry');
    await expect(messages(bob.page)).toContainText('Wrong chat, sorry');
    await bubble(bob.page, 'Wrong chat, sorry')
      .getByRole('button', { name: 'More actions for this message' })
      .click();
    await expect(bubble(bob.page, 'Wrong chat, sorry').getByRole('button', { name: 'Reply' })).toBeVisible();
    await expect(
      bubble(bob.page, 'Wrong chat, sorry').getByRole('button', { name: 'Delete for everyone' }),
    ).toHaveCount(0);
    await bubble(bob.page, 'Wrong chat, sorry')
      .getByRole('button', { name: 'More actions for this message' })
      .click();
    await messageAction(alice.page, 'Wrong chat, sorry', 'Delete for everyone');
    await expect(messages(alice.page)).not.toContainText('Wrong chat, sorry');
    await expect(messages(bob.page)).not.toContainText('Wrong chat, sorry');
    await expect(messages(alice.page).getByText('This message was deleted')).toHaveCount(1);
    await expect(messages(bob.page).getByText('This message was deleted')).toHaveCount(1);

    // The chat with a reply, reactions, an edit, a tombstone and an open actions menu passes axe.
    await bubble(alice.page, 'Replying to your hello')
      .getByRole('button', { name: 'More actions for this message' })
      .click();
    await axeClean(alice.page, 'the chat with its message features');
    await alice.page.keyboard.press('Escape');
    await expect(
      bubble(alice.page, 'Replying to your hello').getByRole('button', { name: 'Reply' }),
    ).toBeHidden();
    await expect(
      bubble(alice.page, 'Replying to your hello').getByRole('button', {
        name: 'More actions for this message',
      }),
    ).toBeFocused();

    // Delete for me: Cancel keeps it; confirmed, it is gone here and still there.
    await bubble(bob.page, 'Hi Alice!')
      .getByRole('button', { name: 'More actions for this message' })
      .click();
    await bubble(bob.page, 'Hi Alice!').getByRole('button', { name: 'Delete for me' }).click();
    await bubble(bob.page, 'Hi Alice!').getByRole('button', { name: 'Cancel' }).click();
    await expect(messages(bob.page)).toContainText('Hi Alice!');
    await messageAction(bob.page, 'Hi Alice!', 'Delete for me');
    await expect(messages(bob.page)).not.toContainText('Hi Alice!');
    await expect(messages(alice.page)).toContainText('Hi Alice!');
    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  test(`${label}: read receipts both ways, and none either way when one side turns them off; typing`, async ({
    browser,
  }) => {
    test.setTimeout(150_000);
    const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: size, bobSize: size });

    // On (the default): each side's message is marked Read once the other had the chat open.
    await expect(
      bubble(alice.page, 'Hello Bob, from Alice').getByText('Read', { exact: true }),
    ).toBeVisible();
    await expect(bubble(bob.page, 'Hi Alice!').getByText('Read', { exact: true })).toBeVisible();

    // Typing: shown while Bob writes, gone when he sends.
    await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Just a sec');
    await expect(alice.page.getByText('Bob is typing…')).toBeVisible();
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await expect(messages(alice.page)).toContainText('Just a sec');
    await expect(alice.page.getByText('Bob is typing…')).toBeHidden();

    // Bob turns read receipts off: his reading is not told, and he is not told of Alice's either.
    await setPrivacy(bob.page, 'Send read receipts', false, 'Alice');
    await say(alice.page, 'Did you read this?');
    await expect(bubble(alice.page, 'Did you read this?').getByText('Delivered')).toHaveCount(1);
    await expect(messages(bob.page)).toContainText('Did you read this?');
    await say(bob.page, 'Maybe');
    await expect(messages(alice.page)).toContainText('Maybe');
    await expect(bubble(bob.page, 'Maybe').getByText('Delivered')).toHaveCount(1);
    // Given time to arrive, had they been sent.
    await alice.page.waitForTimeout(2_000);
    await expect(bubble(alice.page, 'Did you read this?').getByText('Read', { exact: true })).toHaveCount(0);
    await expect(bubble(bob.page, 'Maybe').getByText('Read', { exact: true })).toHaveCount(0);

    // Bob turns the typing indicator off: neither sees the other typing.
    await setPrivacy(bob.page, 'Show typing indicator', false, 'Alice');
    await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Quiet');
    await alice.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hello?');
    await alice.page.waitForTimeout(1_500);
    await expect(alice.page.getByText('Bob is typing…')).toHaveCount(0);
    await expect(bob.page.getByText('Alice is typing…')).toHaveCount(0);
    await Promise.all([alice.context.close(), bob.context.close()]);
  });
}
