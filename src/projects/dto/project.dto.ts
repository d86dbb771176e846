import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { PaginationQuery } from '../../common/http/pagination';
import { IsOptionalNotNull, MaxChars } from '../../common/http/validation';
import { Project } from '../entities/project.entity';
import { isoTime } from '../../common/time/iso-time';

const IDENTIFIER = /^[a-z][a-z0-9_-]{0,99}$/;
const IDENTIFIER_MESSAGE =
  'identifier must start with a lowercase letter and use only a-z, 0-9, "-" and "_" (at most 100)';
// Names are trimmed before saving, so a name of only spaces would become empty.
const NOT_BLANK = /\S/;
const NOT_BLANK_MESSAGE = 'name must contain more than spaces';

export class CreateProjectRequest {
  @ApiProperty({ example: 'Website relaunch', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  @MaxChars(200)
  name!: string;

  @ApiProperty({ example: 'website', description: 'Unique in the workspace.' })
  @Matches(IDENTIFIER, { message: IDENTIFIER_MESSAGE })
  identifier!: string;

  @ApiPropertyOptional({ maxLength: 10000, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxChars(10000)
  description?: string | null;
}

export class UpdateProjectRequest {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  @MaxChars(200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @Matches(IDENTIFIER, { message: IDENTIFIER_MESSAGE })
  identifier?: string;

  @ApiPropertyOptional({ maxLength: 10000, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxChars(10000)
  description?: string | null;
}

export class ListProjectsQuery extends PaginationQuery {}

export class ProjectResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) workspace_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() identifier!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class ProjectListResponse {
  @ApiProperty({ type: [ProjectResponse] }) data!: ProjectResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toProjectResponse(p: Project): ProjectResponse {
  return {
    id: p.id,
    workspace_id: p.workspaceId,
    name: p.name,
    identifier: p.identifier,
    description: p.description,
    created_at: isoTime(p.createdAt),
    updated_at: isoTime(p.updatedAt),
  };
}
