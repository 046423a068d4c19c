"""The Telegram face of `retrieval`: questions in, cited passages out.

    config       (environment, .env → Settings)      bot.config
    service      (Settings → QaService, off-loop)     bot.service
    handlers     (updates → questions → replies)      bot.handlers
    rendering    (Answer → Telegram HTML)             bot.rendering
    keyboards    (buttons, callback data)             bot.keyboards
    state        (asked questions, 👍/👎, SQLite)     bot.state
    texts        (what the bot says, zh / en)         bot.texts
    application  (every handler registered)           bot.application
    updates      (journaled intake, per-chat lanes)   bot.updates
    delivery     (what a failure means, retries)      bot.delivery
    pacing       (rate limits, chats in turn)         bot.pacing
    serve        (connect, replay, poll/webhook)      bot.serve
    main         (`python -m bot`)                    bot.main
"""
