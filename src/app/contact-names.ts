/**
 * Names (DESIGN.md, Identity and trust): the name a contact announces is a suggestion; the one
 * shown is the one the user kept or set, checked by names.ts (UTS #39, Unicode's confusables
 * data) and refused with a sentence when it has invisible, direction, control or look-alike
 * characters. A change of the announced name is worded here for the security log. Loaded on
 * first use: names.ts carries the confusables data (28 KB gzip).
 */
import type { ContactOps } from './contact-ops';
import { AppError } from './errors';
import { checkName, localNameProblem } from './names';

const quoted = (name: string): string => `“${checkName(name).visible}”`;

export function createNameOps(ops: ContactOps) {
  /** `name` if a person may use it (for a contact or themselves), else AppError('BAD_NAME'). */
  const checkedName = (name: string): string => {
    const problem = localNameProblem(name);
    if (problem !== undefined) throw new AppError('BAD_NAME', `This name cannot be used. ${problem}`);
    return name;
  };

  const setLocalName = async (contactId: string, name: string): Promise<void> => {
    const checked = checkedName(name);
    await ops.serial(contactId, async () => {
      const contact = await ops.mustGet(contactId);
      if (contact.localName === checked) return;
      await ops.put({ ...contact, localName: checked });
      await ops.log(contactId, 'name-set', `You named this contact ${quoted(checked)}.`);
    });
  };

  return {
    checkedName,
    setLocalName,

    async keepAnnouncedName(contactId: string): Promise<void> {
      const contact = await ops.mustGet(contactId);
      const problem = localNameProblem(contact.announcedName);
      if (problem !== undefined) {
        throw new AppError(
          'BAD_NAME',
          `The name they announced cannot be kept as it is. ${problem} Set a name of your own instead.`,
        );
      }
      await setLocalName(contactId, contact.announcedName);
    },

    /** The security log's sentence for an announced name that changed from `before` to `after`. */
    renameDetail([before, after]: readonly [string, string], localName?: string): string {
      const shown =
        localName === undefined ? 'Keep the new name or set your own.' : 'The name you set stays.';
      return `They now call themselves ${quoted(after)} (before: ${quoted(before)}). ${shown}`;
    },
  };
}
