"""The Telegram face of `retrieval`: questions in, cited passages out.

    config       (environment, .env → Settings)      bot.config
    service      (Settings → QaService, off-loop)     bot.service
    handlers     (updates → questions → replies)      bot.handlers
    rendering    (Answer → Telegram HTML)             bot.rendering
    keyboards    (buttons, callback data)             bot.keyboards
    state        (asked questions, 👍/👎, SQLite)     bot.state
    texts        (what the bot says, zh / en)         bot.texts
    application  (every handler registered)           bot.application
    main         (`python -m bot`)                    bot.main
"""
