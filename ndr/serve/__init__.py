"""``ndr serve``: ndr over HTTP — bounce messages and email service providers' webhooks in, the
records of ``ndr parse`` out — for ticketing and CRM systems in any language.

Starlette served by uvicorn (the optional ``serve`` extra). Nothing outside this package and
``ndr.commands.serve`` imports the web stack, so ``ndr parse`` starts as fast as before.
"""
