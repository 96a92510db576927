/**
 * The conversation list at phone (390×844) and laptop (1280×800) width, by role and visible text:
 * avatars, last message previews and times, unread counts (and the tab title), most recent
 * activity first; search over contacts and messages; a local name; archive and unarchive; delete
 * conversation (the contact stays).
 */
import { expect, test, type Page } from '@playwright/test';
import { axeClean } from './axe';
import { pairedAliceAndBob } from './paired';
import { LAPTOP, PHONE, chatBothWays, messages, openChat, pairByCodes, person, say } from './people';

/** The list of conversations (not archived) on the page. */
function list(page: Page) {
  return page.getByRole('list', { name: 'Conversations' });
}

/** Back to the list from a chat (a phone shows one at a time; a laptop shows the list anyway). */
async function toList(page: Page): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  else
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Conversations' })
      .click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
}

for (const [label, size] of [
  ['phone', PHONE],
  ['laptop', LAPTOP],
] as const) {
  test(`${label}: previews, unread counts, order, search, local name, archive, delete conversation`, async ({
    browser,
  }) => {
    test.setTimeout(180_000);
    const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: size });
    const carol = await person(browser, 'Carol');
    await toList(alice.page);
    await pairByCodes(alice.page, carol.page);
    await chatBothWays(alice.page, carol.page, 'Alice', 'Carol');
    const page = alice.page;

    // Away from the chats (Settings), Bob writes twice: his entry comes first, with 2 unread.
    await toList(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await say(bob.page, 'Are you coming to the picnic?');
    await say(bob.page, 'Bring bananas');
    await expect(page).toHaveTitle('(2) SecMsg');
    await toList(page);
    const entries = list(page).getByRole('button', { name: /^(Bob|Carol)/ });
    await expect(entries).toHaveCount(2);
    await expect(entries.first()).toHaveAccessibleName(/^Bob .*Bring bananas.* 2 unread$/);
    await expect(entries.nth(1)).toHaveAccessibleName(/^Carol .*Hi Alice!/);
    // The avatar shows initials, hidden from screen readers (the name is the text).
    await expect(entries.first().locator('.avatar')).toHaveText('B');
    await expect(entries.first().locator('.avatar')).toHaveAttribute('aria-hidden', 'true');

    await axeClean(page, 'the list with unread messages');

    // Opening it reads it: the count and the title's number go.
    await entries.first().click();
    await expect(page.getByRole('heading', { name: 'Chat with Bob' })).toBeVisible();
    await expect(page).toHaveTitle('SecMsg');
    await toList(page);
    await expect(list(page).getByRole('button', { name: /^Bob/ })).not.toHaveAccessibleName(/unread/);

    // Search finds the message (local only); its result opens the chat.
    await page.getByRole('searchbox', { name: 'Search' }).fill('banana');
    const found = page.getByRole('list', { name: 'Messages found' }).getByRole('button');
    await expect(found).toHaveCount(1);
    await expect(found).toContainText('Bring bananas');
    await axeClean(page, 'search results');
    await found.click();
    await expect(page.getByRole('heading', { name: 'Chat with Bob' })).toBeVisible();
    await toList(page);
    await page.getByRole('searchbox', { name: 'Search' }).fill('carol');
    await expect(page.getByRole('list', { name: 'Contacts found' }).getByRole('button')).toHaveText('Carol');
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await expect(list(page)).toBeVisible();

    // A local name for Bob, shown in the list.
    await openChat(page, 'Bob');
    await page.getByRole('button', { name: 'Set a name' }).click();
    await page.getByLabel('Your name for this contact').fill('Bobby');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect(page.getByRole('heading', { name: 'Chat with Bobby' })).toBeVisible();
    await toList(page);
    await expect(list(page).getByRole('button', { name: /^Bobby/ })).toBeVisible();

    // Archive: Bobby moves under "Archived"; unarchived, back in the list.
    await page.getByRole('button', { name: 'Actions for Bobby' }).click();
    await page
      .getByRole('group', { name: 'Actions for Bobby' })
      .getByRole('button', { name: 'Archive' })
      .click();
    await expect(list(page).getByRole('button', { name: /^Bobby/ })).toHaveCount(0);
    await page.getByText('Archived (1)').click();
    const archived = page.getByRole('list', { name: 'Archived conversations' });
    await expect(archived.getByRole('button', { name: /^Bobby/ })).toBeVisible();
    await archived.getByRole('button', { name: 'Actions for Bobby' }).click();
    await axeClean(page, 'the archived conversations with an actions menu open');
    await archived.getByRole('button', { name: 'Unarchive' }).click();
    await expect(list(page).getByRole('button', { name: /^Bobby/ })).toBeVisible();
    await expect(page.getByText('Archived (1)')).toHaveCount(0);

    // Delete conversation: asked first; the messages go, Carol stays and can be written to.
    await page.getByRole('button', { name: 'Actions for Carol' }).click();
    await page.getByRole('button', { name: 'Delete conversation' }).click();
    await expect(page.getByRole('group', { name: 'Actions for Carol' })).toContainText(
      'Carol stays in your contacts',
    );
    await page.getByRole('button', { name: 'Delete messages' }).click();
    await expect(list(page).getByRole('button', { name: /^Carol/ })).toHaveAccessibleName(/No messages yet/);
    await openChat(page, 'Carol');
    await expect(messages(page).getByRole('listitem')).toHaveCount(0);
    await say(page, 'Starting over');
    await expect(messages(carol.page)).toContainText('Starting over');
    await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
  });
}
