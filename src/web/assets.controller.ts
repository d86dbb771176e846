import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/decorators/auth.decorator';
import { TESSERA_CSS, TESSERA_JS } from './page-assets';

@ApiExcludeController()
@Controller('assets')
export class AssetsController {
  @Get('tessera.css')
  @Public()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return TESSERA_CSS;
  }

  @Get('tessera.js')
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  script(): string {
    return TESSERA_JS;
  }
}
