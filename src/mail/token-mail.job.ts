import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, LessThan, MoreThan, Repository } from 'typeorm';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { LifecycleEvent } from '../events/entities/lifecycle-event.entity';
import { OAuthApplication } from '../oauth/entities/oauth-application.entity';
import { Scheduler, ScheduledJob } from '../scheduler/scheduler.service';
import { User } from '../users/entities/user.entity';
import { ServiceAccount } from '../workspaces/entities/service-account.entity';
import { Mail, Mailer } from './mailer.service';

const BATCH = 100;
const MAX_ATTEMPTS = 5;
/** Events older than this are not mailed any more (e.g. SMTP_URL set long after). */
const MAX_AGE_MS = 2 * 86_400_000;

interface TokenData {
  id: string;
  name: string;
  token_prefix: string;
  user_id: string;
  workspace_id: string | null;
  expires_at: string;
}

/** An OAuth grant reported leaked (SPEC §11.6): its user and application, never a secret. */
interface GrantData {
  id: string;
  kind: 'access_token' | 'refresh_token';
  user_id: string;
  application_id: string;
}

/**
 * Who is told about a token: its owner, or for a service account's token (SPEC §11.5; its own
 * address is never delivered) the person who created the service account.
 */
interface Recipient {
  email: string;
  username: string;
  /** The service account the token belongs to, when it does. */
  serviceAccount?: { name: string; username: string };
}

/** Counters for the metrics endpoint. */
export interface MailCounters {
  sent: number;
  failed: number;
}

/**
 * E-mails a token's owner about token.expiring and token.leaked (SPEC §11.4, §11.6), and the
 * user behind an OAuth grant reported leaked (which application's authorization ended), from the
 * lifecycle_events outbox, when SMTP_URL is set. A scheduled job (one instance at a time, under
 * the scheduler's lease): each event is sent, then marked mailed; a failed send is retried on
 * later runs, up to 5 attempts. A crash between sending and marking sends that one mail again
 * (at least once), never loses it.
 */
@Injectable()
export class TokenMailJob implements ScheduledJob {
  readonly name = 'token-mail';
  private readonly logger = new Logger(TokenMailJob.name);
  readonly counters: MailCounters = { sent: 0, failed: 0 };

  constructor(
    @InjectRepository(LifecycleEvent) private readonly events: Repository<LifecycleEvent>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(ServiceAccount) private readonly accounts: Repository<ServiceAccount>,
    @InjectRepository(OAuthApplication)
    private readonly applications: Repository<OAuthApplication>,
    private readonly mailer: Mailer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    scheduler: Scheduler,
  ) {
    if (mailer.enabled) {
      scheduler.register(this);
    }
  }

  async run(now: Date): Promise<number> {
    const due = await this.events.find({
      where: {
        type: In(['token.expiring', 'token.leaked']),
        mailedAt: IsNull(),
        mailAttempts: LessThan(MAX_ATTEMPTS),
        createdAt: MoreThan(new Date(now.getTime() - MAX_AGE_MS)),
      },
      order: { createdAt: 'ASC' },
      take: BATCH,
    });
    // Events about an API token name its owner; an OAuth grant reported leaked names the user
    // who authorized the application.
    const tokenOf = (event: LifecycleEvent): TokenData | undefined =>
      event.data.token as TokenData | undefined;
    const grantOf = (event: LifecycleEvent): GrantData | undefined =>
      event.type === 'token.leaked' ? (event.data.oauth_grant as GrantData | undefined) : undefined;
    const byId = await this.recipients(
      due.flatMap((e) => tokenOf(e)?.user_id ?? grantOf(e)?.user_id ?? []),
    );
    const apps = await this.applicationNames(due.flatMap((e) => grantOf(e)?.application_id ?? []));
    const mailOf = (event: LifecycleEvent): Mail | null => {
      const token = tokenOf(event);
      const grant = grantOf(event);
      const owner = byId.get(token?.user_id ?? grant?.user_id ?? '');
      if (token && owner) {
        return this.mailFor(event, token, owner);
      }
      if (grant && owner) {
        return this.grantMail(grant, apps.get(grant.application_id), owner);
      }
      return null;
    };
    let sent = 0;
    for (const event of due) {
      const mail = mailOf(event);
      try {
        if (mail) {
          await this.mailer.send(mail);
          sent += 1;
          this.counters.sent += 1;
        }
        await this.events.update({ id: event.id }, { mailedAt: new Date() });
      } catch (error) {
        this.counters.failed += 1;
        this.logger.warn(`Could not e-mail ${event.type} ${event.id}: ${(error as Error).message}`);
        await this.events.update({ id: event.id }, { mailAttempts: event.mailAttempts + 1 });
      }
    }
    return sent;
  }

  /** Recipients by owner id; a service account without a creator to tell has none. */
  private async recipients(ownerIds: string[]): Promise<Map<string, Recipient>> {
    const ids = [...new Set(ownerIds)];
    if (ids.length === 0) {
      return new Map();
    }
    const select = { id: true, email: true, username: true, type: true } as const;
    const owners = await this.users.find({ select, where: { id: In(ids) } });
    const robots = owners.filter((u) => u.type === 'service_account');
    const accounts = robots.length
      ? await this.accounts.find({ where: { id: In(robots.map((u) => u.id)) } })
      : [];
    const creatorIds = accounts.flatMap((a) => (a.createdBy ? [a.createdBy] : []));
    const creators = creatorIds.length
      ? await this.users.find({ select, where: { id: In(creatorIds), type: 'human' } })
      : [];
    const people = new Map(creators.map((u) => [u.id, u]));
    const out = new Map<string, Recipient>();
    for (const owner of owners) {
      if (owner.type === 'human') {
        out.set(owner.id, { email: owner.email, username: owner.username });
        continue;
      }
      const account = accounts.find((a) => a.id === owner.id);
      const creator = account?.createdBy ? people.get(account.createdBy) : undefined;
      if (account && creator) {
        out.set(owner.id, {
          email: creator.email,
          username: creator.username,
          serviceAccount: { name: account.name, username: owner.username },
        });
      }
    }
    return out;
  }

  /** Application names by id (an application deleted meanwhile has none). */
  private async applicationNames(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) {
      return new Map();
    }
    const found = await this.applications.find({
      select: { id: true, name: true },
      where: { id: In(unique) },
    });
    return new Map(found.map((a) => [a.id, a.name]));
  }

  /** An OAuth grant reported leaked: which application's authorization ended, and what to do. */
  private grantMail(grant: GrantData, appName: string | undefined, owner: Recipient): Mail {
    const app = appName ? `“${appName}”` : 'an application that no longer exists';
    const kind = grant.kind === 'refresh_token' ? 'refresh' : 'access';
    return {
      to: owner.email,
      subject: appName
        ? `Your Tessera authorization of ${appName} was revoked: one of its tokens leaked`
        : 'Your Tessera authorization of an application was revoked: one of its tokens leaked',
      text:
        `Hello ${owner.username},\n\nAn OAuth ${kind} token that ${app} held for your account ` +
        `was reported as leaked (found in a public place), so your authorization of ${app} has ` +
        `been revoked: its access and refresh tokens no longer work.\n\n` +
        `If you still use it, sign in to it again to authorize it anew. The applications you ` +
        `have authorized are listed at ${this.config.publicUrl}/account/applications.\n`,
    };
  }

  private mailFor(event: LifecycleEvent, token: TokenData, owner: Recipient): Mail {
    const page = `${this.config.publicUrl}/account/tokens`;
    const robot = owner.serviceAccount;
    const which =
      `“${token.name}” (${token.token_prefix}…)` +
      (robot ? ` of the service account “${robot.name}” (${robot.username})` : '');
    const whose = robot ? 'The' : 'Your';
    if (event.type === 'token.leaked') {
      return {
        to: owner.email,
        subject: `${whose} Tessera token ${token.name} was reported leaked and is revoked`,
        text:
          `Hello ${owner.username},\n\n${whose} API token ${which} was reported as leaked ` +
          `(found in a public place) and has been revoked: it no longer works.\n\n` +
          `Create a new token at ${page} and replace it wherever the old one was used, ` +
          `and remove the old one from where it leaked.\n`,
      };
    }
    const days = Number(event.data.days_left);
    return {
      to: owner.email,
      subject: `${whose} Tessera token ${token.name} expires in ${days} ${days === 1 ? 'day' : 'days'}`,
      text:
        `Hello ${owner.username},\n\n${whose} API token ${which} expires on ` +
        `${token.expires_at.slice(0, 16).replace('T', ' ')} UTC. Scripts that use it stop ` +
        `working then.\n\nRenew it with one click at ${page}: you get a new token, and the old ` +
        `one keeps working for up to a day while you replace it.\n`,
    };
  }
}
