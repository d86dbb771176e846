import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateIf,
} from 'class-validator';
import { PaginationQuery } from '../../common/http/pagination';
import { IsOptionalNotNull, MaxChars, MaxUtf8Bytes } from '../../common/http/validation';
import {
  Issue,
  ISSUE_PRIORITIES,
  ISSUE_STATUSES,
  IssuePriority,
  IssueStatus,
} from '../entities/issue.entity';
import { isoTime } from '../../common/time/iso-time';

// Subjects are trimmed before saving, so a subject of only spaces would become empty.
const NOT_BLANK = /\S/;
const NOT_BLANK_MESSAGE = 'subject must contain more than spaces';

// The column is a TEXT (64 KiB on MySQL): count bytes, not characters.
const DESCRIPTION_MAX_BYTES = 65535;

export class CreateIssueRequest {
  @ApiProperty({ example: 'Login button does nothing on Safari', maxLength: 255 })
  @IsString()
  @IsNotEmpty()
  @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  @MaxChars(255)
  subject!: string;

  @ApiPropertyOptional({
    maxLength: 65535,
    nullable: true,
    type: String,
    description: 'At most 65,535 bytes of UTF-8.',
  })
  @IsOptional()
  @IsString()
  @MaxUtf8Bytes(DESCRIPTION_MAX_BYTES, {
    message: 'description must be valid text of at most 65535 bytes of UTF-8',
  })
  description?: string | null;

  @ApiPropertyOptional({ enum: ISSUE_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(ISSUE_STATUSES)
  status?: IssueStatus;

  @ApiPropertyOptional({ enum: ISSUE_PRIORITIES, default: 'normal' })
  @IsOptional()
  @IsIn(ISSUE_PRIORITIES)
  priority?: IssuePriority;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'A workspace member.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsUUID()
  assignee_id?: string | null;
}

export class UpdateIssueRequest {
  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  @MaxChars(255)
  subject?: string;

  @ApiPropertyOptional({
    maxLength: 65535,
    nullable: true,
    type: String,
    description: 'At most 65,535 bytes of UTF-8.',
  })
  @IsOptional()
  @IsString()
  @MaxUtf8Bytes(DESCRIPTION_MAX_BYTES, {
    message: 'description must be valid text of at most 65535 bytes of UTF-8',
  })
  description?: string | null;

  @ApiPropertyOptional({ enum: ISSUE_STATUSES })
  @IsOptionalNotNull()
  @IsIn(ISSUE_STATUSES)
  status?: IssueStatus;

  @ApiPropertyOptional({ enum: ISSUE_PRIORITIES })
  @IsOptionalNotNull()
  @IsIn(ISSUE_PRIORITIES)
  priority?: IssuePriority;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'null unassigns.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsUUID()
  assignee_id?: string | null;
}

export class ListIssuesQuery extends PaginationQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  project_id?: string;

  @ApiPropertyOptional({ enum: ISSUE_STATUSES })
  @IsOptional()
  @IsIn(ISSUE_STATUSES)
  status?: IssueStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  assignee_id?: string;
}

export class IssueResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) workspace_id!: string;
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ISSUE_STATUSES }) status!: IssueStatus;
  @ApiProperty({ enum: ISSUE_PRIORITIES }) priority!: IssuePriority;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) assignee_id!: string | null;
  @ApiProperty({ format: 'uuid' }) author_id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class IssueListResponse {
  @ApiProperty({ type: [IssueResponse] }) data!: IssueResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toIssueResponse(i: Issue): IssueResponse {
  return {
    id: i.id,
    workspace_id: i.workspaceId,
    project_id: i.projectId,
    subject: i.subject,
    description: i.description,
    status: i.status,
    priority: i.priority,
    assignee_id: i.assigneeId,
    author_id: i.authorId,
    created_at: isoTime(i.createdAt),
    updated_at: isoTime(i.updatedAt),
  };
}
