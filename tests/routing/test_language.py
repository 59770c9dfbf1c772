from comptoir.routing.language import OTHER, detect


def test_the_five_languages_are_recognised():
    assert detect("Bonjour, ma facture du mois dernier est fausse, pouvez-vous corriger ?") == "fr"
    assert detect("Hallo, ich kann mich seit gestern nicht mehr anmelden. Was tun?") == "de"
    assert detect("Hola, no puedo entrar en mi cuenta desde ayer. ¿Me pueden ayudar?") == "es"
    assert detect("昨日からログインできません。パスワードを再設定しても同じです。") == "ja"
    assert detect("Hi, I was charged twice for my subscription this month. Can you refund?") == "en"


def test_a_language_we_do_not_support_is_other():
    assert detect("Obrigado pela ajuda, mas a fatura continua errada este mês.") == OTHER
    assert detect("Grazie mille per il vostro aiuto, ma la fattura è ancora sbagliata.") == OTHER


def test_too_little_text_is_unknown():
    assert detect("Merci !") == ""
    assert detect("ok") == ""
    assert detect("") == ""


def test_only_the_new_text_counts_not_the_quoted_history():
    text = ("Danke, jetzt funktioniert es wieder einwandfrei!\n\n"
            "On Mon, Jan 6, 2025 at 10:00 AM Support <support@comptoir.test> wrote:\n"
            "> Please clear your browser cache and sign in again, then tell us if the\n"
            "> problem is still there. We are happy to help with anything else.\n")
    assert detect(text) == "de"
