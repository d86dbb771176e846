import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/decorators/auth.decorator';
import { PAGES_SCRIPT, PAGES_STYLESHEET } from './page-assets';
import { STYLESHEET } from './views';

const CSS = STYLESHEET + PAGES_STYLESHEET;

@ApiExcludeController()
@Controller('assets')
export class AssetsController {
  @Get('tessera.css')
  @Public()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return CSS;
  }

  @Get('tessera.js')
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  script(): string {
    return PAGES_SCRIPT;
  }
}
