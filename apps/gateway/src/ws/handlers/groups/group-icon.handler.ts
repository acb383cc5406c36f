import type { ICommandHandler } from '@nestjs/cqrs';
import { ConversationCommandHandler } from '#libs/nats';
import type { GroupChangeResult, Requests } from '#libs/protocol';
import { ApiError } from '../../../http/api-error.js';
import { GroupCommands } from '../../../groups/group-commands.js';
import { requireMember } from '../../../conversations/member-access.js';
import { AvatarIntake } from '../../../profiles/avatar-intake.js';
import { SetGroupIconDto } from '../../group-frames.dto.js';
import { FrameCommand, FrameHandler } from '../../frame-handler.js';

/** Where a group's icon is served from: its own key, which no upload URL can write. */
export const groupIconKeyOf = (conversationId: string, iconId: string): string =>
  `group-icons/${conversationId}/${iconId}`;

export class SetGroupIconCommand extends FrameCommand<
  SetGroupIconDto,
  Requests['group.set_icon']['result']
> {}

/**
 * A group's icon (issue 19): an image through the media path, checked like an avatar (the caller's
 * completed JPEG, PNG or WebP upload within the avatar limits) and copied to the group's icon key, then
 * GroupInfoChanged with its id, decided like a rename (admins only when the settings say so). Without a
 * mediaId the icon is removed. group.info serves it through a short-lived URL.
 */
@FrameHandler(SetGroupIconCommand, { 'group.set_icon': SetGroupIconDto })
export class SetGroupIconHandler implements ICommandHandler<SetGroupIconCommand> {
  constructor(
    private readonly groups: GroupCommands,
    private readonly conversations: ConversationCommandHandler,
    private readonly intake: AvatarIntake,
  ) {}

  async execute({ conn, data }: SetGroupIconCommand): Promise<GroupChangeResult> {
    const { state } = await this.conversations.load(data.conversationId);
    requireMember(state, conn.userId); // before the image is copied anywhere
    if (state.kind !== 'group') throw new ApiError('NOT_FOUND', 'no such group');
    const iconId =
      data.mediaId !== undefined
        ? await this.intake.takeAs(
            conn.userId,
            data.mediaId,
            groupIconKeyOf(data.conversationId, data.mediaId),
          )
        : undefined;
    return this.groups.run(data.conversationId, (systemMessageId) => ({
      type: 'ChangeGroupInfo',
      by: conn.userId,
      ...(iconId !== undefined ? { iconId } : { removeIcon: true as const }),
      systemMessageId,
    }));
  }
}
