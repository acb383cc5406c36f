import { Injectable } from '@nestjs/common';
import type { RequestHandler } from '../request-handler.js';
import { CreateGroupHandler } from './create-group.handler.js';
import { GroupInfoHandler, UpdateInfoHandler, UpdateSettingsHandler } from './group-info.handlers.js';
import {
  AddMembersHandler,
  DemoteHandler,
  LeaveGroupHandler,
  PromoteHandler,
  RemoveMemberHandler,
} from './group-membership.handlers.js';
import { MessageInfoHandler } from './message-info.handler.js';
import { ReplyPrivatelyHandler } from './reply-privately.handler.js';

/** The group frames' handlers as one injectable, so the frame router takes them in one parameter. */
@Injectable()
export class GroupHandlers {
  readonly all: readonly RequestHandler[];

  constructor(
    create: CreateGroupHandler,
    add: AddMembersHandler,
    remove: RemoveMemberHandler,
    leave: LeaveGroupHandler,
    promote: PromoteHandler,
    demote: DemoteHandler,
    updateInfo: UpdateInfoHandler,
    updateSettings: UpdateSettingsHandler,
    info: GroupInfoHandler,
    messageInfo: MessageInfoHandler,
    replyPrivately: ReplyPrivatelyHandler,
  ) {
    this.all = [
      create,
      add,
      remove,
      leave,
      promote,
      demote,
      updateInfo,
      updateSettings,
      info,
      messageInfo,
      replyPrivately,
    ] as RequestHandler[];
  }
}
