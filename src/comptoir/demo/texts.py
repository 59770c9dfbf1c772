"""The demo's words: customer cases, replies, notes and saved replies in en, fr, de, es, ja."""

from dataclasses import dataclass

# --- the words ----------------------------------------------------------------------------
# Customer cases are (subject, first message, the answer that fits it); the rest is what
# any conversation needs. Placeholders: {invoice} {amount} {time} {code} {ticket} {network}
# {integration} {plan} {mention}; greetings take {first} (the customer) and {agent}.


@dataclass(frozen=True)
class Words:
    lang: str
    cases: dict[str, tuple[tuple[str, str, str], ...]]
    greeting: tuple[str, ...]  # customer's email greeting
    first_greeting: tuple[str, ...]  # ...that only fits a first message
    signoff: tuple[str, ...]  # customer's email signature, {name}
    agent_greeting: tuple[str, ...]
    agent_signoff: tuple[str, ...]
    more: tuple[str, ...]  # "still not working"
    nudge: tuple[str, ...]  # "any news?"
    thanks: tuple[str, ...]
    again: tuple[str, ...]  # agent, after "still not working"
    ack: tuple[str, ...]  # agent: "looking into it"
    close: tuple[str, ...]  # agent, after thanks
    onhold: tuple[str, ...]  # agent: passed to engineering
    fixed: tuple[str, ...]  # agent: the fix shipped
    checkin: tuple[str, ...]  # agent: no answer for a while
    notes: tuple[str, ...]  # between colleagues who share the language


EN = Words(
    lang="en",
    cases={
        "billing": (
            ("Question about invoice {invoice}",
             "I just received invoice {invoice} for {amount}, but we moved to the smaller plan "
             "last month. Could you check why we were charged the old price?",
             "Thanks for flagging this. The downgrade was set to take effect at the end of your "
             "billing period, so invoice {invoice} still used the old price. I've added a credit "
             "for the difference; it will show on your next invoice."),
            ("Charged twice this month",
             "Our card was charged twice this month, {amount} each time. Could you look into it "
             "and refund the duplicate payment?",
             "You're right, the payment went through twice after a timeout at our payment "
             "provider. I've refunded the duplicate charge of {amount}; depending on your bank it "
             "takes 5 to 10 days to appear."),
            ("Adding our VAT number to invoices",
             "Our accountant needs our VAT number and company address on every invoice. Where "
             "can I add them? And could you reissue invoice {invoice} with them?",
             "You can add your VAT number and billing address under Settings → Billing → Invoice "
             "details. I've reissued invoice {invoice} with those details; you'll find the new "
             "PDF on the same page."),
        ),
        "login": (
            ("Can't log in after changing my password",
             "I changed my password yesterday and now the app says my credentials are wrong, "
             "even though I'm typing the new one. I've tried two browsers.",
             "Sorry about that! Your account was locked after several failed attempts, which is "
             "why even the new password didn't work. I've unlocked it, so you can sign in again "
             "now. If it ever happens again, the reset link on the sign-in page unlocks it too."),
            ("Lost my phone, locked out by two-factor authentication",
             "I lost my phone with the authenticator app, and now I can't get past the "
             "two-factor step. I don't have my recovery codes either. How can I get back into "
             "my account?",
             "No problem, this happens more often than you'd think. For your security I "
             "confirmed your identity with the billing contact on file, then turned off "
             "two-factor authentication. Please sign in, set it up again on your new phone, and "
             "keep the new recovery codes somewhere safe."),
            ("Password reset email never arrives",
             "I asked for a password reset three times but the email never arrives. It's not in "
             "my spam folder either.",
             "Thanks for checking your spam folder already. Your company's mail server was "
             "rejecting our emails. I've sent a new reset link from our backup sender; it should "
             "arrive within a few minutes and stays valid for one hour."),
        ),
        "bug": (
            ("Analytics page stays blank",
             "Since this morning the analytics page stays blank for our {network} account. The "
             "other accounts are fine. I see the error code {code} in the corner.",
             "Thanks for the error code, it helped a lot. I can reproduce it: the {network} "
             "statistics import failed overnight for some accounts. Our engineers are on it and "
             "I'll update you as soon as it's fixed."),
            ("Image upload fails at 90%",
             "Every time I try to attach an image to a post, the upload stops at 90% and I get "
             "an error. It started after the last update. The images are normal JPEGs, around "
             "5 MB.",
             "Thank you for the details! I've reproduced the problem with images over 4 MB and "
             "passed it to our engineers. In the meantime, compressing the image below 4 MB works "
             "as a workaround."),
            ("Posts duplicated in the queue",
             "Some posts appear twice in our queue, and one was actually published twice on "
             "{network} this morning. Our followers noticed. Can you check what's going on?",
             "I'm sorry about the double post. I found the cause: editing a post while it was "
             "being published created a copy. I've removed the duplicates from your queue, and "
             "our engineers are working on a fix so it can't happen again."),
        ),
        "feature": (
            ("Feature request: bulk editing of posts",
             "It would save us hours if we could edit several scheduled posts at once, for "
             "example to change the link or the time. Is that something you're planning?",
             "Thanks for the suggestion! Bulk editing is one of our most requested features, and "
             "I've added your vote and your use case to our roadmap. I can't promise a date yet, "
             "but I'll let you know when it's available."),
            ("Could you support {network} first comments?",
             "We'd love to schedule a first comment together with each {network} post, like "
             "other tools do. Any chance this is coming?",
             "Great idea, and you're not the only one asking. I've passed your request and your "
             "example to our product team. I'll write back when we have news about it."),
            ("Dark mode for the web app?",
             "Our team works late and the web app is very bright. Is there a dark mode, or any "
             "plan for one?",
             "There's no dark mode yet, but it's on our roadmap for this year and I've added "
             "your vote. In the meantime, the mobile app already follows your phone's dark mode "
             "setting."),
        ),
        "scheduling": (
            ("Post published at the wrong time",
             "A post scheduled for {time} went out an hour late this morning. Our time zone is "
             "set correctly in the settings. What happened?",
             "Thanks for the details. The switch to daylight saving time wasn't applied to your "
             "posting schedule, which is why it went out an hour late. I've corrected the "
             "schedule; your next posts will go out at the right time."),
            ("Scheduled posts not publishing",
             "Nothing from our queue has been published on {network} since yesterday. The posts "
             "are still marked as scheduled. Could you check?",
             "I checked your account: {network} disconnected your profile after a password "
             "change on their side, so the posts stayed in the queue. Please reconnect the "
             "profile under Settings → Channels and the queued posts will go out automatically."),
            ("Changing posting times for the whole week",
             "How can I change the posting times for every day of the week at once? We want to "
             "post at {time} instead of the suggested times.",
             "You can do it under Settings → Posting schedule: pick “Every day”, set {time} and "
             "save. Posts already in the queue will move to the new time automatically."),
        ),
        "refund": (
            ("Refund for the annual plan",
             "We subscribed to the annual plan by mistake instead of the monthly one ({amount}, "
             "last week). Could we get a refund and switch to monthly billing?",
             "Of course. Since you subscribed less than 30 days ago, our refund policy covers "
             "it. I've refunded {amount} and switched you to monthly billing; the refund takes 5 "
             "to 10 days to show on your statement."),
            ("Cancel and refund, please",
             "We've decided to stop using Brioche. Please cancel our subscription and refund "
             "this month's payment of {amount}, since we haven't used it.",
             "Sorry to see you go, and thanks for telling us why. I've cancelled the "
             "subscription and refunded this month's payment of {amount}. Your data stays "
             "available for 30 days in case you change your mind."),
            ("Charged after cancelling",
             "I cancelled my subscription two weeks ago, but I was still charged {amount} "
             "yesterday. Please refund it.",
             "I'm sorry about this. The cancellation was recorded for the wrong workspace, so the "
             "renewal went through. I've refunded {amount} and cancelled the right subscription: "
             "you won't be charged again."),
        ),
        "api": (
            ("API returns 401 since this morning",
             "Our integration has been getting 401 Unauthorized from the API since this "
             "morning. We haven't changed anything on our side. Is there an incident?",
             "There's no incident on our side. The API key you're using was revoked when the "
             "person who created it left your workspace. Please create a new key under Settings "
             "→ API and update your integration; it will work right away."),
            ("Hitting the API rate limit",
             "We're getting 429 errors when we sync our posts every few minutes. What are the "
             "rate limits, and can they be raised for our account?",
             "The limit is 60 requests per minute per key. Your three servers share one key, "
             "which is why you hit it. I'd suggest retrying with backoff, or our webhooks instead "
             "of polling; I've also raised your limit to 120 per minute for now."),
            ("Webhook not called for new comments",
             "We registered a webhook for new comments but it never gets called, although the "
             "test event from the dashboard works. What are we missing?",
             "Thanks for the details. Comment webhooks need the “comments” permission on the API "
             "key, and yours only has “posts”. Add the permission under Settings → API and the "
             "webhook will start firing."),
        ),
        "integrations": (
            ("{integration} sync stopped working",
             "Our {integration} integration stopped syncing two days ago. Nothing new shows up "
             "in Brioche, and reconnecting didn't help.",
             "Thanks for trying to reconnect first. The {integration} token of your workspace "
             "had expired and reconnecting didn't replace it. I've cleared the old token: please "
             "connect {integration} once more and the sync will catch up within an hour."),
            ("Connecting {integration} to our workspace",
             "We'd like to connect {integration} to Brioche but I can't find where to do it. Is "
             "it available on our plan?",
             "Yes, {integration} is available on your plan. Go to Settings → Integrations, pick "
             "{integration} and follow the steps; it takes about two minutes. Let me know if "
             "anything is unclear!"),
            ("Duplicate notifications in {integration}",
             "Since yesterday every notification arrives twice in {integration}. It's getting "
             "noisy for the team.",
             "I found two connections to {integration} on your workspace, one of them added "
             "yesterday. I've removed the duplicate, so each notification arrives only once from "
             "now on."),
        ),
    },
    greeting=("Hi,", "Hello,", "Hi Brioche team,"),
    first_greeting=("Hi there,",),
    signoff=("Thanks,\n{name}", "Best,\n{name}", "Thank you!\n{name}"),
    agent_greeting=("Hi {first},", "Hello {first},"),
    agent_signoff=("Best,\n{agent}", "Cheers,\n{agent}", "Have a great day,\n{agent}"),
    more=("I tried that, but it's still not working for me. I've attached a screenshot of what "
          "I see.",
          "Thanks for the quick answer. It's better, but I still see the problem on one of our "
          "accounts."),
    nudge=("Any news on this? I haven't heard back yet.",
           "Hi again, just following up on my message from the other day."),
    thanks=("That worked, thank you so much!", "Perfect, all good now. Thanks for the quick help!",
            "Great, thanks a lot!"),
    again=("Thanks, the screenshot helped. A second setting on your account had the same "
           "problem; I've fixed it too. Could you try once more?",
           "Thanks for checking. I've corrected the remaining account as well, so everything "
           "should work now. Let me know if it doesn't!"),
    ack=("Thanks for reaching out! I'm looking into this now and will get back to you shortly.",
         "Thanks for the details. Let me check a couple of things on our side, I'll be back "
         "with you soon."),
    close=("Glad to hear it! I'll mark this as solved, but just reply if anything else comes up.",
           "Wonderful, happy to help. Have a great week!"),
    onhold=("I've passed this to our engineers with all the details, and I'm keeping the "
            "conversation open. I'll write to you as soon as there's a fix.",),
    fixed=("Good news: the fix went out today. Could you try again? Everything should work now.",
           "Quick update: our engineers shipped a fix this morning. Thanks for your patience, "
           "and for reporting it!"),
    checkin=("Just checking in: did my last message help? If you still need anything, I'm "
             "here.",),
    notes=(),
)

FR = Words(
    lang="fr",
    cases={
        "billing": (
            ("Question sur la facture {invoice}",
             "Je viens de recevoir la facture {invoice} de {amount}, alors que nous sommes "
             "passés à la formule inférieure le mois dernier. Pouvez-vous vérifier pourquoi "
             "l'ancien tarif a été appliqué ?",
             "Merci de nous l'avoir signalé. Le changement de formule ne s'appliquait qu'à la "
             "fin de votre période de facturation, d'où l'ancien tarif sur la facture {invoice}. "
             "J'ai ajouté un avoir du montant de la différence ; il apparaîtra sur votre "
             "prochaine facture."),
            ("Prélevés deux fois ce mois-ci",
             "Notre carte a été débitée deux fois ce mois-ci, {amount} à chaque fois. "
             "Pouvez-vous vérifier et rembourser le paiement en double ?",
             "Vous avez raison : le paiement est passé deux fois après une erreur chez notre "
             "prestataire de paiement. J'ai remboursé le doublon de {amount} ; selon votre "
             "banque, comptez 5 à 10 jours pour le voir apparaître."),
            ("Ajouter notre numéro de TVA sur les factures",
             "Notre comptable a besoin de notre numéro de TVA intracommunautaire et de notre "
             "adresse sur chaque facture. Où puis-je les ajouter ? Et pourriez-vous rééditer la "
             "facture {invoice} ?",
             "Vous pouvez ajouter votre numéro de TVA et votre adresse de facturation dans "
             "Paramètres → Facturation → Informations de facturation. J'ai réédité la facture "
             "{invoice} avec ces informations ; le nouveau PDF est sur la même page."),
        ),
        "login": (
            ("Impossible de me connecter après un changement de mot de passe",
             "J'ai changé mon mot de passe hier et depuis, l'application me dit que mes "
             "identifiants sont incorrects, alors que je tape bien le nouveau. J'ai essayé avec "
             "deux navigateurs.",
             "Toutes nos excuses pour ce souci ! Votre compte a été bloqué après plusieurs "
             "tentatives échouées, c'est pourquoi même le nouveau mot de passe ne fonctionnait "
             "pas. Je l'ai débloqué : vous pouvez vous reconnecter dès maintenant."),
            ("Téléphone perdu, bloqué par la double authentification",
             "J'ai perdu mon téléphone avec l'application d'authentification et je ne peux plus "
             "passer l'étape de double authentification. Je n'ai pas non plus mes codes de "
             "secours. Comment récupérer l'accès à mon compte ?",
             "Pas d'inquiétude, cela arrive plus souvent qu'on ne le pense. Par sécurité, j'ai "
             "vérifié votre identité auprès du contact de facturation, puis désactivé la double "
             "authentification. Connectez-vous, réactivez-la sur votre nouveau téléphone et "
             "gardez les nouveaux codes de secours en lieu sûr."),
            ("L'e-mail de réinitialisation n'arrive jamais",
             "J'ai demandé trois fois la réinitialisation de mon mot de passe, mais l'e-mail "
             "n'arrive jamais. Il n'est pas non plus dans les spams.",
             "Merci d'avoir déjà vérifié les spams. Le serveur de messagerie de votre entreprise "
             "refusait nos e-mails. Je vous ai envoyé un nouveau lien depuis notre expéditeur de "
             "secours ; il devrait arriver d'ici quelques minutes et reste valable une heure."),
        ),
        "bug": (
            ("La page Statistiques reste vide",
             "Depuis ce matin, la page Statistiques reste vide pour notre compte {network}. Les "
             "autres comptes fonctionnent. Je vois le code d'erreur {code} dans un coin.",
             "Merci pour le code d'erreur, il nous a beaucoup aidés. Je reproduis le problème : "
             "l'import des statistiques {network} a échoué cette nuit pour certains comptes. Nos "
             "ingénieurs s'en occupent et je reviens vers vous dès que c'est corrigé."),
            ("L'envoi d'images échoue à 90 %",
             "À chaque fois que j'ajoute une image à une publication, l'envoi s'arrête à 90 % et "
             "j'obtiens une erreur. Ça a commencé après la dernière mise à jour. Ce sont des JPEG "
             "normaux d'environ 5 Mo.",
             "Merci pour ces détails ! J'ai reproduit le problème avec les images de plus de "
             "4 Mo et je l'ai transmis à nos ingénieurs. En attendant, compresser l'image sous "
             "4 Mo permet de contourner le problème."),
            ("Publications en double dans la file d'attente",
             "Certaines publications apparaissent deux fois dans notre file d'attente, et l'une "
             "d'elles a bien été publiée deux fois sur {network} ce matin. Nos abonnés l'ont "
             "remarqué. Pouvez-vous regarder ?",
             "Toutes mes excuses pour cette double publication. J'ai trouvé la cause : modifier "
             "une publication pendant son envoi créait une copie. J'ai supprimé les doublons de "
             "votre file, et nos ingénieurs préparent un correctif pour que cela ne se reproduise "
             "plus."),
        ),
        "feature": (
            ("Suggestion : modifier plusieurs publications à la fois",
             "Pouvoir modifier plusieurs publications programmées d'un coup, par exemple pour "
             "changer le lien ou l'heure, nous ferait gagner des heures. Est-ce prévu ?",
             "Merci pour la suggestion ! La modification groupée fait partie des fonctionnalités "
             "les plus demandées ; j'ai ajouté votre vote et votre cas d'usage à notre feuille de "
             "route. Je ne peux pas encore vous donner de date, mais je vous préviendrai dès que "
             "ce sera disponible."),
            ("Premier commentaire sur {network} ?",
             "Nous aimerions programmer un premier commentaire avec chaque publication "
             "{network}, comme le font d'autres outils. Est-ce que ça arrive bientôt ?",
             "Excellente idée, et vous n'êtes pas les seuls à la demander. J'ai transmis votre "
             "demande et votre exemple à l'équipe produit. Je reviens vers vous dès que nous "
             "avons du nouveau."),
            ("Un mode sombre pour l'application web ?",
             "Notre équipe travaille tard et l'application web est très lumineuse. Existe-t-il "
             "un mode sombre, ou est-ce prévu ?",
             "Il n'y a pas encore de mode sombre, mais il est prévu cette année et j'ai ajouté "
             "votre vote. En attendant, l'application mobile suit déjà le réglage de mode sombre "
             "de votre téléphone."),
        ),
        "scheduling": (
            ("Publication partie à la mauvaise heure",
             "Une publication programmée à {time} est partie avec une heure de retard ce matin. "
             "Notre fuseau horaire est pourtant bien réglé. Que s'est-il passé ?",
             "Merci pour ces précisions. Le passage à l'heure d'été n'avait pas été appliqué à "
             "votre planning de publication, d'où l'heure de retard. J'ai corrigé le planning ; "
             "vos prochaines publications partiront à la bonne heure."),
            ("Les publications programmées ne partent pas",
             "Plus rien de notre file d'attente n'a été publié sur {network} depuis hier. Les "
             "publications sont toujours marquées comme programmées. Pouvez-vous vérifier ?",
             "J'ai vérifié votre compte : {network} a déconnecté votre profil après un "
             "changement de mot de passe de leur côté, donc les publications sont restées en "
             "attente. Reconnectez le profil dans Paramètres → Canaux et elles partiront "
             "automatiquement."),
            ("Changer les horaires de publication pour toute la semaine",
             "Comment changer d'un coup les horaires de publication de tous les jours de la "
             "semaine ? Nous voulons publier à {time} au lieu des horaires suggérés.",
             "Rendez-vous dans Paramètres → Planning de publication, choisissez « Tous les "
             "jours », indiquez {time} et enregistrez. Les publications déjà en file d'attente "
             "seront décalées automatiquement."),
        ),
        "refund": (
            ("Remboursement de l'abonnement annuel",
             "Nous avons souscrit l'abonnement annuel par erreur au lieu du mensuel ({amount}, "
             "la semaine dernière). Est-il possible d'être remboursés et de passer en "
             "facturation mensuelle ?",
             "Bien sûr. Comme vous avez souscrit il y a moins de 30 jours, notre politique de "
             "remboursement s'applique. J'ai remboursé {amount} et basculé votre compte en "
             "facturation mensuelle ; comptez 5 à 10 jours pour voir le remboursement sur votre "
             "relevé."),
            ("Résiliation et remboursement",
             "Nous avons décidé d'arrêter d'utiliser Brioche. Merci de résilier notre abonnement "
             "et de rembourser le paiement de ce mois-ci ({amount}), que nous n'avons pas "
             "utilisé.",
             "Nous regrettons de vous voir partir, et merci de nous avoir dit pourquoi. J'ai "
             "résilié l'abonnement et remboursé le paiement de ce mois-ci ({amount}). Vos données "
             "restent disponibles 30 jours si vous changez d'avis."),
            ("Débit après résiliation",
             "J'ai résilié mon abonnement il y a deux semaines, mais on m'a quand même prélevé "
             "{amount} hier. Merci de me rembourser.",
             "Toutes mes excuses. La résiliation avait été enregistrée sur le mauvais espace de "
             "travail, d'où le renouvellement. J'ai remboursé {amount} et résilié le bon "
             "abonnement : vous ne serez plus prélevé."),
        ),
        "api": (
            ("L'API renvoie 401 depuis ce matin",
             "Notre intégration reçoit des erreurs 401 Unauthorized de l'API depuis ce matin. "
             "Nous n'avons rien changé de notre côté. Y a-t-il un incident ?",
             "Aucun incident de notre côté. La clé d'API que vous utilisez a été révoquée quand "
             "la personne qui l'avait créée a quitté votre espace de travail. Créez une nouvelle "
             "clé dans Paramètres → API et mettez-la à jour dans votre intégration : cela "
             "fonctionnera immédiatement."),
            ("Limite de requêtes de l'API atteinte",
             "Nous recevons des erreurs 429 quand nous synchronisons nos publications toutes les "
             "quelques minutes. Quelles sont les limites, et peuvent-elles être relevées pour "
             "notre compte ?",
             "La limite est de 60 requêtes par minute et par clé. Vos trois serveurs partagent "
             "la même clé, d'où les erreurs. Je vous conseille de réessayer avec un délai "
             "croissant, ou d'utiliser nos webhooks plutôt que d'interroger l'API ; j'ai aussi "
             "relevé votre limite à 120 par minute."),
            ("Webhook jamais appelé pour les nouveaux commentaires",
             "Nous avons enregistré un webhook pour les nouveaux commentaires, mais il n'est "
             "jamais appelé, alors que l'événement de test du tableau de bord fonctionne. "
             "Qu'est-ce qui nous échappe ?",
             "Merci pour ces détails. Les webhooks de commentaires nécessitent la permission "
             "« commentaires » sur la clé d'API, et la vôtre n'a que « publications ». Ajoutez la "
             "permission dans Paramètres → API et le webhook se déclenchera."),
        ),
        "integrations": (
            ("La synchronisation {integration} ne fonctionne plus",
             "Notre intégration {integration} ne se synchronise plus depuis deux jours. Rien de "
             "nouveau n'apparaît dans Brioche, et la reconnexion n'a rien changé.",
             "Merci d'avoir déjà essayé de reconnecter. Le jeton {integration} de votre espace "
             "de travail avait expiré et la reconnexion ne l'a pas remplacé. J'ai supprimé "
             "l'ancien jeton : reconnectez {integration} une dernière fois et la synchronisation "
             "rattrapera son retard en moins d'une heure."),
            ("Connecter {integration} à notre espace",
             "Nous aimerions connecter {integration} à Brioche, mais je ne trouve pas où le "
             "faire. Est-ce inclus dans notre formule ?",
             "Oui, {integration} est inclus dans votre formule. Allez dans Paramètres → "
             "Intégrations, choisissez {integration} et suivez les étapes ; cela prend environ "
             "deux minutes. N'hésitez pas si quelque chose n'est pas clair !"),
            ("Notifications en double dans {integration}",
             "Depuis hier, chaque notification arrive deux fois dans {integration}. Ça devient "
             "bruyant pour l'équipe.",
             "J'ai trouvé deux connexions à {integration} sur votre espace de travail, dont une "
             "ajoutée hier. J'ai supprimé le doublon : chaque notification n'arrivera plus "
             "qu'une fois."),
        ),
    },
    greeting=("Bonjour,", "Bonjour à l'équipe Brioche,"),
    first_greeting=("Bonjour à toute l'équipe,",),
    signoff=("Merci d'avance,\n{name}", "Cordialement,\n{name}", "Bonne journée,\n{name}"),
    agent_greeting=("Bonjour {first},",),
    agent_signoff=("Bonne journée,\n{agent}", "Belle journée,\n{agent}", "À bientôt,\n{agent}"),
    more=("J'ai essayé, mais ça ne fonctionne toujours pas. Je vous joins une capture d'écran de "
          "ce que je vois.",
          "Merci pour la réponse rapide. C'est mieux, mais le problème persiste sur l'un de nos "
          "comptes."),
    nudge=("Avez-vous du nouveau ? Je n'ai pas encore eu de réponse.",
           "Bonjour, je me permets de relancer au sujet de mon message de l'autre jour."),
    thanks=("Ça fonctionne, merci beaucoup !",
            "Parfait, tout est rentré dans l'ordre. Merci pour votre aide rapide !",
            "Super, merci mille fois !"),
    again=("Merci, la capture m'a bien aidé. Un second réglage de votre compte avait le même "
           "problème ; je l'ai corrigé aussi. Pouvez-vous réessayer ?",
           "Merci d'avoir vérifié. J'ai aussi corrigé le compte restant, tout devrait "
           "fonctionner maintenant. Dites-moi si ce n'est pas le cas !"),
    ack=("Merci pour votre message ! Je regarde cela tout de suite et je reviens vers vous très "
         "vite.",
         "Merci pour ces détails. Je vérifie deux ou trois choses de notre côté et je reviens "
         "vers vous rapidement."),
    close=("Bonne nouvelle ! Je marque la conversation comme résolue, mais n'hésitez pas à "
           "répondre si besoin.",
           "Avec plaisir ! Excellente semaine à vous."),
    onhold=("J'ai transmis le problème à nos ingénieurs avec tous les détails et je garde la "
            "conversation ouverte. Je vous écris dès qu'un correctif est en ligne.",),
    fixed=("Bonne nouvelle : le correctif est en ligne depuis aujourd'hui. Pouvez-vous "
           "réessayer ? Tout devrait fonctionner.",
           "Petite mise à jour : nos ingénieurs ont déployé un correctif ce matin. Merci pour "
           "votre patience et pour le signalement !"),
    checkin=("Je reviens vers vous : mon dernier message vous a-t-il aidé ? Je reste disponible "
             "si besoin.",),
    notes=("@{mention} tu peux jeter un œil ? Le client est sur l'offre {plan} et ça bloque "
           "toute son équipe.",
           "@{mention} déjà vu la semaine dernière chez un autre client, probablement la même "
           "cause. Tu confirmes ?",
           "@{mention} j'ai répondu avec la procédure habituelle ; si ça bloque encore demain, "
           "on escalade ?"),
)

DE = Words(
    lang="de",
    cases={
        "billing": (
            ("Frage zur Rechnung {invoice}",
             "Ich habe gerade die Rechnung {invoice} über {amount} erhalten, obwohl wir letzten "
             "Monat in den kleineren Tarif gewechselt sind. Können Sie prüfen, warum noch der "
             "alte Preis berechnet wurde?",
             "Danke für den Hinweis. Der Tarifwechsel sollte erst zum Ende Ihres "
             "Abrechnungszeitraums greifen, deshalb enthält die Rechnung {invoice} noch den alten "
             "Preis. Ich habe Ihnen die Differenz gutgeschrieben; sie erscheint auf Ihrer "
             "nächsten Rechnung."),
            ("Diesen Monat doppelt abgebucht",
             "Unsere Karte wurde diesen Monat zweimal belastet, jeweils mit {amount}. Können Sie "
             "das prüfen und die doppelte Zahlung erstatten?",
             "Sie haben recht: Nach einer Zeitüberschreitung bei unserem Zahlungsdienstleister "
             "wurde die Zahlung zweimal ausgeführt. Ich habe die doppelte Abbuchung von {amount} "
             "erstattet; je nach Bank dauert es 5 bis 10 Tage, bis sie sichtbar ist."),
            ("USt-IdNr. auf Rechnungen ergänzen",
             "Unsere Buchhaltung braucht unsere USt-IdNr. und Firmenadresse auf jeder Rechnung. "
             "Wo kann ich sie eintragen? Und könnten Sie die Rechnung {invoice} neu ausstellen?",
             "Sie können Ihre USt-IdNr. und Rechnungsadresse unter Einstellungen → Abrechnung → "
             "Rechnungsdaten eintragen. Ich habe die Rechnung {invoice} mit diesen Angaben neu "
             "ausgestellt; das neue PDF finden Sie auf derselben Seite."),
        ),
        "login": (
            ("Anmeldung nach Passwortänderung nicht möglich",
             "Ich habe gestern mein Passwort geändert, und seitdem sagt die App, meine "
             "Zugangsdaten seien falsch, obwohl ich das neue eingebe. Ich habe zwei Browser "
             "ausprobiert.",
             "Das tut mir leid! Ihr Konto wurde nach mehreren Fehlversuchen gesperrt, deshalb "
             "hat auch das neue Passwort nicht funktioniert. Ich habe es wieder freigeschaltet, "
             "Sie können sich jetzt anmelden."),
            ("Handy verloren, Zwei-Faktor-Anmeldung blockiert",
             "Ich habe mein Handy mit der Authenticator-App verloren und komme nicht mehr durch "
             "die Zwei-Faktor-Abfrage. Meine Wiederherstellungscodes habe ich leider auch nicht. "
             "Wie komme ich wieder in mein Konto?",
             "Kein Problem, das passiert öfter, als man denkt. Zu Ihrer Sicherheit habe ich Ihre "
             "Identität über den hinterlegten Rechnungskontakt bestätigt und dann die "
             "Zwei-Faktor-Authentifizierung deaktiviert. Bitte melden Sie sich an, richten Sie "
             "sie auf Ihrem neuen Handy wieder ein und bewahren Sie die neuen "
             "Wiederherstellungscodes sicher auf."),
            ("E-Mail zum Zurücksetzen des Passworts kommt nicht an",
             "Ich habe dreimal ein neues Passwort angefordert, aber die E-Mail kommt nie an. Im "
             "Spam-Ordner ist sie auch nicht.",
             "Danke, dass Sie den Spam-Ordner schon geprüft haben. Der Mailserver Ihrer Firma "
             "hat unsere E-Mails abgelehnt. Ich habe Ihnen einen neuen Link über unseren "
             "Ersatzabsender geschickt; er sollte in wenigen Minuten ankommen und ist eine Stunde "
             "gültig."),
        ),
        "bug": (
            ("Statistikseite bleibt leer",
             "Seit heute Morgen bleibt die Statistikseite für unser {network}-Konto leer. Die "
             "anderen Konten funktionieren. In der Ecke sehe ich den Fehlercode {code}.",
             "Danke für den Fehlercode, der hat sehr geholfen. Ich kann das Problem nachstellen: "
             "Der Import der {network}-Statistiken ist heute Nacht für einige Konten "
             "fehlgeschlagen. Unsere Entwickler sind dran, und ich melde mich, sobald es behoben "
             "ist."),
            ("Bilder-Upload bricht bei 90 % ab",
             "Jedes Mal, wenn ich ein Bild an einen Beitrag anhänge, bleibt der Upload bei 90 % "
             "stehen und ich bekomme eine Fehlermeldung. Das fing nach dem letzten Update an. Es "
             "sind normale JPEGs mit etwa 5 MB.",
             "Vielen Dank für die Details! Ich konnte das Problem mit Bildern über 4 MB "
             "nachstellen und habe es an unsere Entwickler weitergegeben. Bis dahin hilft es, "
             "das Bild auf unter 4 MB zu komprimieren."),
            ("Beiträge doppelt in der Warteschlange",
             "Einige Beiträge erscheinen doppelt in unserer Warteschlange, und einer wurde heute "
             "Morgen tatsächlich zweimal auf {network} veröffentlicht. Unseren Followern ist das "
             "aufgefallen. Können Sie sich das ansehen?",
             "Entschuldigung für den doppelten Beitrag. Ich habe die Ursache gefunden: Wurde ein "
             "Beitrag während der Veröffentlichung bearbeitet, entstand eine Kopie. Ich habe die "
             "Duplikate aus Ihrer Warteschlange entfernt, und unsere Entwickler arbeiten an einer "
             "Korrektur, damit das nicht wieder passiert."),
        ),
        "feature": (
            ("Wunsch: mehrere Beiträge gleichzeitig bearbeiten",
             "Es würde uns Stunden sparen, wenn wir mehrere geplante Beiträge auf einmal "
             "bearbeiten könnten, zum Beispiel um den Link oder die Uhrzeit zu ändern. Ist so "
             "etwas geplant?",
             "Danke für den Vorschlag! Die Mehrfachbearbeitung gehört zu den meistgewünschten "
             "Funktionen; ich habe Ihre Stimme und Ihren Anwendungsfall in unserer Roadmap "
             "ergänzt. Einen Termin kann ich noch nicht nennen, aber ich sage Ihnen Bescheid, "
             "sobald es so weit ist."),
            ("Erster Kommentar bei {network}?",
             "Wir würden gern zu jedem {network}-Beitrag gleich einen ersten Kommentar "
             "einplanen, so wie es andere Tools können. Kommt das bald?",
             "Gute Idee, und Sie sind nicht die Einzigen, die danach fragen. Ich habe Ihren "
             "Wunsch mit Ihrem Beispiel an unser Produktteam weitergegeben und melde mich, "
             "sobald es Neuigkeiten gibt."),
            ("Dunkelmodus für die Web-App?",
             "Unser Team arbeitet oft abends, und die Web-App ist sehr hell. Gibt es einen "
             "Dunkelmodus oder ist einer geplant?",
             "Einen Dunkelmodus gibt es noch nicht, er ist aber für dieses Jahr geplant, und ich "
             "habe Ihre Stimme ergänzt. Die mobile App folgt übrigens schon jetzt der "
             "Dunkelmodus-Einstellung Ihres Handys."),
        ),
        "scheduling": (
            ("Beitrag zur falschen Uhrzeit veröffentlicht",
             "Ein für {time} geplanter Beitrag ist heute Morgen eine Stunde zu spät erschienen. "
             "Unsere Zeitzone ist in den Einstellungen richtig eingestellt. Was ist passiert?",
             "Danke für die Details. Die Umstellung auf die Sommerzeit wurde nicht auf Ihren "
             "Veröffentlichungsplan übertragen, daher die Stunde Verspätung. Ich habe den Plan "
             "korrigiert; Ihre nächsten Beiträge erscheinen pünktlich."),
            ("Geplante Beiträge werden nicht veröffentlicht",
             "Seit gestern wurde nichts aus unserer Warteschlange auf {network} veröffentlicht. "
             "Die Beiträge stehen weiterhin auf „geplant“. Können Sie nachsehen?",
             "Ich habe Ihr Konto geprüft: {network} hat Ihr Profil nach einer Passwortänderung "
             "auf deren Seite getrennt, deshalb blieben die Beiträge in der Warteschlange. Bitte "
             "verbinden Sie das Profil unter Einstellungen → Kanäle neu; die Beiträge werden "
             "dann automatisch veröffentlicht."),
            ("Veröffentlichungszeiten für die ganze Woche ändern",
             "Wie kann ich die Veröffentlichungszeiten für alle Wochentage auf einmal ändern? "
             "Wir möchten um {time} posten statt zu den vorgeschlagenen Zeiten.",
             "Das geht unter Einstellungen → Veröffentlichungsplan: Wählen Sie „Jeden Tag“, "
             "tragen Sie {time} ein und speichern Sie. Beiträge, die schon in der Warteschlange "
             "sind, werden automatisch verschoben."),
        ),
        "refund": (
            ("Erstattung für das Jahresabo",
             "Wir haben letzte Woche aus Versehen das Jahresabo statt des Monatsabos "
             "abgeschlossen ({amount}). Können wir eine Erstattung bekommen und auf monatliche "
             "Abrechnung wechseln?",
             "Selbstverständlich. Da Sie vor weniger als 30 Tagen abgeschlossen haben, greift "
             "unsere Erstattungsregel. Ich habe {amount} erstattet und Sie auf monatliche "
             "Abrechnung umgestellt; die Gutschrift erscheint in 5 bis 10 Tagen auf Ihrem "
             "Konto."),
            ("Bitte kündigen und erstatten",
             "Wir haben entschieden, Brioche nicht mehr zu nutzen. Bitte kündigen Sie unser Abo "
             "und erstatten Sie die Zahlung für diesen Monat ({amount}), da wir ihn nicht genutzt "
             "haben.",
             "Schade, dass Sie gehen, und danke, dass Sie uns den Grund genannt haben. Ich habe "
             "das Abo gekündigt und die Zahlung für diesen Monat ({amount}) erstattet. Ihre Daten "
             "bleiben 30 Tage verfügbar, falls Sie es sich anders überlegen."),
            ("Nach der Kündigung abgebucht",
             "Ich habe mein Abo vor zwei Wochen gekündigt, aber gestern wurden trotzdem {amount} "
             "abgebucht. Bitte erstatten Sie den Betrag.",
             "Das tut mir sehr leid. Die Kündigung war für den falschen Arbeitsbereich erfasst, "
             "deshalb lief die Verlängerung durch. Ich habe {amount} erstattet und das richtige "
             "Abo gekündigt; es wird nichts mehr abgebucht."),
        ),
        "api": (
            ("API liefert seit heute Morgen 401",
             "Unsere Integration bekommt seit heute Morgen 401 Unauthorized von der API. Wir "
             "haben auf unserer Seite nichts geändert. Gibt es eine Störung?",
             "Bei uns gibt es keine Störung. Der verwendete API-Schlüssel wurde widerrufen, als "
             "die Person, die ihn erstellt hatte, Ihren Arbeitsbereich verlassen hat. Bitte "
             "erstellen Sie unter Einstellungen → API einen neuen Schlüssel und tragen Sie ihn in "
             "Ihrer Integration ein; dann funktioniert es sofort."),
            ("API-Ratenlimit erreicht",
             "Wir bekommen 429-Fehler, wenn wir unsere Beiträge alle paar Minuten "
             "synchronisieren. Wie hoch sind die Limits, und können sie für unser Konto erhöht "
             "werden?",
             "Das Limit liegt bei 60 Anfragen pro Minute und Schlüssel. Ihre drei Server teilen "
             "sich einen Schlüssel, daher die Fehler. Ich empfehle Wiederholungen mit wachsendem "
             "Abstand oder unsere Webhooks statt Polling; außerdem habe ich Ihr Limit vorerst auf "
             "120 pro Minute erhöht."),
            ("Webhook für neue Kommentare wird nicht aufgerufen",
             "Wir haben einen Webhook für neue Kommentare registriert, er wird aber nie "
             "aufgerufen, obwohl das Testereignis aus dem Dashboard funktioniert. Was fehlt uns?",
             "Danke für die Details. Kommentar-Webhooks brauchen die Berechtigung „Kommentare“ "
             "am API-Schlüssel, und Ihrer hat nur „Beiträge“. Ergänzen Sie die Berechtigung "
             "unter Einstellungen → API, dann wird der Webhook ausgelöst."),
        ),
        "integrations": (
            ("{integration}-Synchronisierung funktioniert nicht mehr",
             "Unsere {integration}-Integration synchronisiert seit zwei Tagen nicht mehr. In "
             "Brioche erscheint nichts Neues, und eine neue Verbindung hat nicht geholfen.",
             "Danke, dass Sie das erneute Verbinden schon versucht haben. Das "
             "{integration}-Token Ihres Arbeitsbereichs war abgelaufen und wurde dabei nicht "
             "ersetzt. Ich habe das alte Token entfernt; verbinden Sie {integration} bitte noch "
             "einmal, dann holt die Synchronisierung innerhalb einer Stunde alles nach."),
            ("{integration} mit unserem Arbeitsbereich verbinden",
             "Wir möchten {integration} mit Brioche verbinden, finden aber nicht, wo das geht. "
             "Ist das in unserem Tarif enthalten?",
             "Ja, {integration} ist in Ihrem Tarif enthalten. Gehen Sie zu Einstellungen → "
             "Integrationen, wählen Sie {integration} und folgen Sie den Schritten; das dauert "
             "etwa zwei Minuten. Melden Sie sich gern, wenn etwas unklar ist!"),
            ("Doppelte Benachrichtigungen in {integration}",
             "Seit gestern kommt jede Benachrichtigung doppelt in {integration} an. Das wird für "
             "das Team ziemlich laut.",
             "Ich habe in Ihrem Arbeitsbereich zwei Verbindungen zu {integration} gefunden, eine "
             "davon gestern hinzugefügt. Ich habe die doppelte entfernt; ab jetzt kommt jede "
             "Benachrichtigung nur noch einmal."),
        ),
    },
    greeting=("Hallo,", "Guten Tag,", "Hallo Brioche-Team,"),
    first_greeting=("Sehr geehrte Damen und Herren,",),
    signoff=("Danke und viele Grüße\n{name}", "Viele Grüße\n{name}", "Beste Grüße\n{name}"),
    agent_greeting=("Hallo {first},", "Guten Tag {first},"),
    agent_signoff=("Viele Grüße\n{agent}", "Beste Grüße\n{agent}"),
    more=("Ich habe es versucht, aber es funktioniert immer noch nicht. Im Anhang ein Screenshot "
          "von dem, was ich sehe.",
          "Danke für die schnelle Antwort. Es ist besser, aber bei einem unserer Konten tritt das "
          "Problem weiterhin auf."),
    nudge=("Gibt es hierzu schon etwas Neues? Ich habe noch keine Antwort erhalten.",
           "Hallo nochmal, ich wollte kurz an meine Nachricht von neulich erinnern."),
    thanks=("Das hat funktioniert, vielen Dank!",
            "Perfekt, jetzt läuft alles. Danke für die schnelle Hilfe!", "Super, herzlichen Dank!"),
    again=("Danke, der Screenshot hat geholfen. Eine zweite Einstellung in Ihrem Konto hatte "
           "dasselbe Problem; die habe ich auch korrigiert. Können Sie es noch einmal versuchen?",
           "Danke fürs Prüfen. Ich habe das verbleibende Konto ebenfalls korrigiert, jetzt sollte "
           "alles funktionieren. Sagen Sie mir Bescheid, falls nicht!"),
    ack=("Danke für Ihre Nachricht! Ich sehe mir das gleich an und melde mich in Kürze.",
         "Danke für die Details. Ich prüfe kurz ein paar Dinge bei uns und melde mich gleich "
         "wieder."),
    close=("Das freut mich! Ich markiere das Gespräch als gelöst, aber antworten Sie einfach, "
           "falls noch etwas ist.",
           "Gern geschehen! Eine schöne Woche noch."),
    onhold=("Ich habe das Problem mit allen Details an unsere Entwickler weitergegeben und lasse "
            "das Gespräch offen. Ich melde mich, sobald es eine Korrektur gibt.",),
    fixed=("Gute Nachricht: Die Korrektur ist seit heute live. Können Sie es noch einmal "
           "versuchen? Jetzt sollte alles funktionieren.",
           "Kurzes Update: Unsere Entwickler haben heute Morgen eine Korrektur ausgeliefert. "
           "Danke für Ihre Geduld und die Meldung!"),
    checkin=("Ich wollte kurz nachfragen: Hat Ihnen meine letzte Nachricht geholfen? Ich bin "
             "da, falls Sie noch etwas brauchen.",),
    notes=("@{mention} kannst du dir das kurz ansehen? Der Kunde ist im {plan}-Tarif und das "
           "ganze Team ist blockiert.",
           "@{mention} hatten wir letzte Woche schon bei einem anderen Kunden, vermutlich "
           "dieselbe Ursache. Siehst du das auch so?",
           "@{mention} habe mit den Standardschritten geantwortet; wenn es morgen noch hakt, "
           "eskalieren wir?"),
)

ES = Words(
    lang="es",
    cases={
        "billing": (
            ("Consulta sobre la factura {invoice}",
             "Acabo de recibir la factura {invoice} por {amount}, pero el mes pasado nos "
             "cambiamos al plan más pequeño. ¿Podrían revisar por qué nos cobraron el precio "
             "anterior?",
             "Gracias por avisarnos. El cambio de plan estaba programado para el final de su "
             "periodo de facturación, por eso la factura {invoice} todavía tenía el precio "
             "anterior. He añadido un crédito por la diferencia; aparecerá en su próxima "
             "factura."),
            ("Nos cobraron dos veces este mes",
             "Nos cobraron dos veces este mes en la tarjeta, {amount} cada vez. ¿Pueden "
             "revisarlo y devolver el pago duplicado?",
             "Tiene razón: el pago se procesó dos veces tras un error de nuestro proveedor de "
             "pagos. He reembolsado el cargo duplicado de {amount}; según su banco, puede tardar "
             "de 5 a 10 días en verse."),
            ("Añadir nuestro NIF a las facturas",
             "Nuestro contable necesita el NIF y la dirección de la empresa en cada factura. "
             "¿Dónde puedo añadirlos? ¿Y podrían volver a emitir la factura {invoice}?",
             "Puede añadir su NIF y su dirección de facturación en Ajustes → Facturación → Datos "
             "de factura. He vuelto a emitir la factura {invoice} con esos datos; encontrará el "
             "nuevo PDF en la misma página."),
        ),
        "login": (
            ("No puedo entrar después de cambiar la contraseña",
             "Ayer cambié mi contraseña y desde entonces la aplicación dice que mis datos son "
             "incorrectos, aunque escribo la nueva sin errores. Lo he probado en dos "
             "navegadores.",
             "¡Lo siento! Su cuenta se bloqueó tras varios intentos fallidos, por eso ni siquiera "
             "la nueva contraseña funcionaba. La he desbloqueado y ya puede iniciar sesión."),
            ("Perdí el móvil y la verificación en dos pasos me bloquea",
             "Perdí el móvil con la app de autenticación y ya no puedo pasar la verificación en "
             "dos pasos. Tampoco tengo los códigos de recuperación. ¿Cómo puedo volver a entrar "
             "en mi cuenta?",
             "No se preocupe, pasa más de lo que parece. Por seguridad, he confirmado su "
             "identidad con el contacto de facturación de la cuenta y he desactivado la "
             "verificación en dos pasos. Inicie sesión, vuelva a activarla en su nuevo móvil y "
             "guarde los nuevos códigos de recuperación en un lugar seguro."),
            ("No me llega el correo para restablecer la contraseña",
             "He pedido restablecer la contraseña tres veces, pero el correo nunca llega. "
             "Tampoco está en la carpeta de spam.",
             "Gracias por revisar el spam. El servidor de correo de su empresa estaba rechazando "
             "nuestros mensajes. Le he enviado un nuevo enlace desde nuestro remitente de "
             "respaldo; debería llegar en unos minutos y es válido durante una hora."),
        ),
        "bug": (
            ("La página de estadísticas aparece vacía",
             "Desde esta mañana la página de estadísticas aparece vacía para nuestra cuenta de "
             "{network}. Las demás cuentas funcionan bien. En una esquina aparece el código de "
             "error {code}.",
             "Gracias por el código de error, nos ha ayudado mucho. He podido reproducirlo: la "
             "importación de estadísticas de {network} falló anoche para algunas cuentas. "
             "Nuestros ingenieros ya están trabajando en ello y le escribiré en cuanto esté "
             "solucionado."),
            ("La subida de imágenes falla al 90 %",
             "Cada vez que intento añadir una imagen a una publicación, la subida se queda en el "
             "90 % y sale un error. Empezó después de la última actualización. Son JPEG normales "
             "de unos 5 MB.",
             "¡Gracias por los detalles! He reproducido el problema con imágenes de más de 4 MB "
             "y se lo he pasado a nuestros ingenieros. Mientras tanto, comprimir la imagen por "
             "debajo de 4 MB permite evitarlo."),
            ("Publicaciones duplicadas en la cola",
             "Algunas publicaciones aparecen dos veces en nuestra cola, y una se publicó dos "
             "veces en {network} esta mañana. Nuestros seguidores se dieron cuenta. ¿Pueden "
             "revisarlo?",
             "Disculpe la publicación duplicada. He encontrado la causa: editar una publicación "
             "mientras se estaba publicando creaba una copia. He eliminado los duplicados de su "
             "cola y nuestros ingenieros están preparando una corrección para que no vuelva a "
             "pasar."),
        ),
        "feature": (
            ("Sugerencia: editar varias publicaciones a la vez",
             "Nos ahorraría horas poder editar varias publicaciones programadas a la vez, por "
             "ejemplo para cambiar el enlace o la hora. ¿Lo tienen previsto?",
             "¡Gracias por la sugerencia! La edición múltiple es una de las funciones más "
             "solicitadas y he añadido su voto y su caso de uso a nuestra hoja de ruta. Todavía "
             "no puedo darle una fecha, pero le avisaré en cuanto esté disponible."),
            ("¿Primer comentario en {network}?",
             "Nos encantaría poder programar un primer comentario junto con cada publicación de "
             "{network}, como hacen otras herramientas. ¿Llegará pronto?",
             "Muy buena idea, y no son los únicos que la piden. He pasado su solicitud y su "
             "ejemplo al equipo de producto. Le escribiré cuando tengamos novedades."),
            ("¿Modo oscuro para la aplicación web?",
             "Nuestro equipo trabaja hasta tarde y la aplicación web es muy luminosa. ¿Existe un "
             "modo oscuro o está previsto?",
             "Todavía no hay modo oscuro, pero está previsto para este año y he añadido su voto. "
             "Mientras tanto, la aplicación móvil ya sigue el ajuste de modo oscuro de su "
             "teléfono."),
        ),
        "scheduling": (
            ("Publicación a la hora equivocada",
             "Una publicación programada para las {time} salió con una hora de retraso esta "
             "mañana. La zona horaria está bien configurada en los ajustes. ¿Qué ha pasado?",
             "Gracias por los detalles. El cambio al horario de verano no se aplicó a su "
             "calendario de publicación, por eso salió con una hora de retraso. Ya lo he "
             "corregido; sus próximas publicaciones saldrán a la hora correcta."),
            ("Las publicaciones programadas no se publican",
             "Desde ayer no se ha publicado nada de nuestra cola en {network}. Las publicaciones "
             "siguen marcadas como programadas. ¿Pueden revisarlo?",
             "He revisado su cuenta: {network} desconectó su perfil tras un cambio de contraseña "
             "en su plataforma, por eso las publicaciones se quedaron en la cola. Vuelva a "
             "conectar el perfil en Ajustes → Canales y se publicarán automáticamente."),
            ("Cambiar los horarios de publicación de toda la semana",
             "¿Cómo puedo cambiar a la vez los horarios de publicación de todos los días? "
             "Queremos publicar a las {time} en lugar de los horarios sugeridos.",
             "Puede hacerlo en Ajustes → Calendario de publicación: elija «Todos los días», "
             "indique las {time} y guarde. Las publicaciones que ya están en la cola se moverán "
             "automáticamente."),
        ),
        "refund": (
            ("Reembolso del plan anual",
             "La semana pasada contratamos por error el plan anual en lugar del mensual "
             "({amount}). ¿Podrían reembolsarnos y pasarnos a la facturación mensual?",
             "Por supuesto. Como contrataron hace menos de 30 días, se aplica nuestra política "
             "de reembolso. He reembolsado {amount} y he cambiado su cuenta a facturación "
             "mensual; el reembolso tardará de 5 a 10 días en aparecer en su extracto."),
            ("Cancelación y reembolso, por favor",
             "Hemos decidido dejar de usar Brioche. Por favor, cancelen nuestra suscripción y "
             "reembolsen el pago de este mes ({amount}), ya que no lo hemos usado.",
             "Lamentamos que se vayan, y gracias por contarnos el motivo. He cancelado la "
             "suscripción y reembolsado el pago de este mes ({amount}). Sus datos seguirán "
             "disponibles durante 30 días por si cambian de opinión."),
            ("Cobro después de cancelar",
             "Cancelé mi suscripción hace dos semanas, pero ayer me volvieron a cobrar {amount}. "
             "Por favor, devuélvanmelo.",
             "Lo siento mucho. La cancelación se registró en el espacio de trabajo equivocado, "
             "por eso se renovó. He reembolsado {amount} y cancelado la suscripción correcta; no "
             "se le volverá a cobrar."),
        ),
        "api": (
            ("La API devuelve 401 desde esta mañana",
             "Nuestra integración recibe errores 401 Unauthorized de la API desde esta mañana. "
             "No hemos cambiado nada por nuestra parte. ¿Hay alguna incidencia?",
             "No hay ninguna incidencia por nuestra parte. La clave de API que usan se revocó "
             "cuando la persona que la creó salió de su espacio de trabajo. Creen una clave nueva "
             "en Ajustes → API y actualícenla en su integración; funcionará de inmediato."),
            ("Llegamos al límite de peticiones de la API",
             "Recibimos errores 429 cuando sincronizamos nuestras publicaciones cada pocos "
             "minutos. ¿Cuáles son los límites y se pueden ampliar para nuestra cuenta?",
             "El límite es de 60 peticiones por minuto y por clave. Sus tres servidores comparten "
             "una misma clave, por eso llegan al límite. Les recomiendo reintentar con espera "
             "progresiva o usar nuestros webhooks en lugar de consultar la API; además, he subido "
             "su límite a 120 por minuto."),
            ("El webhook de comentarios nuevos no se llama",
             "Registramos un webhook para comentarios nuevos, pero nunca se llama, aunque el "
             "evento de prueba del panel funciona. ¿Qué nos falta?",
             "Gracias por los detalles. Los webhooks de comentarios necesitan el permiso "
             "«comentarios» en la clave de API, y la suya solo tiene «publicaciones». Añadan el "
             "permiso en Ajustes → API y el webhook empezará a funcionar."),
        ),
        "integrations": (
            ("La sincronización con {integration} dejó de funcionar",
             "Nuestra integración con {integration} dejó de sincronizar hace dos días. No "
             "aparece nada nuevo en Brioche y volver a conectarla no ha servido.",
             "Gracias por intentar reconectar primero. El token de {integration} de su espacio "
             "de trabajo había caducado y la reconexión no lo sustituyó. He eliminado el token "
             "antiguo: conecten {integration} una vez más y la sincronización se pondrá al día "
             "en menos de una hora."),
            ("Conectar {integration} a nuestro espacio",
             "Queremos conectar {integration} con Brioche, pero no encuentro dónde hacerlo. ¿Está "
             "incluido en nuestro plan?",
             "Sí, {integration} está incluido en su plan. Vaya a Ajustes → Integraciones, elija "
             "{integration} y siga los pasos; se tarda unos dos minutos. ¡Escríbame si algo no "
             "queda claro!"),
            ("Notificaciones duplicadas en {integration}",
             "Desde ayer cada notificación llega dos veces a {integration}. Empieza a ser "
             "molesto para el equipo.",
             "He encontrado dos conexiones con {integration} en su espacio de trabajo, una "
             "añadida ayer. He eliminado la duplicada, así que a partir de ahora cada "
             "notificación llegará una sola vez."),
        ),
    },
    greeting=("Hola,", "Buenos días,", "Hola, equipo de Brioche:"),
    first_greeting=("Estimado equipo de Brioche:",),
    signoff=("Gracias,\n{name}", "Un saludo,\n{name}", "Saludos cordiales,\n{name}"),
    agent_greeting=("Hola, {first}:",),
    agent_signoff=("Un saludo,\n{agent}", "Saludos,\n{agent}"),
    more=("Lo he probado, pero sigue sin funcionar. Adjunto una captura de pantalla de lo que "
          "veo.",
          "Gracias por la respuesta rápida. Está mejor, pero el problema sigue en una de nuestras "
          "cuentas."),
    nudge=("¿Hay alguna novedad? Todavía no he recibido respuesta.",
           "Hola de nuevo, les escribo para dar seguimiento a mi mensaje del otro día."),
    thanks=("¡Funcionó, muchas gracias!",
            "Perfecto, ya está todo bien. ¡Gracias por la ayuda tan rápida!",
            "¡Genial, mil gracias!"),
    again=("Gracias, la captura me ha ayudado. Había un segundo ajuste en su cuenta con el mismo "
           "problema y también lo he corregido. ¿Puede volver a intentarlo?",
           "Gracias por comprobarlo. He corregido también la cuenta que faltaba, así que ahora "
           "todo debería funcionar. ¡Avíseme si no es así!"),
    ack=("¡Gracias por escribirnos! Lo estoy revisando ahora mismo y le respondo en breve.",
         "Gracias por los detalles. Voy a comprobar un par de cosas por nuestra parte y le "
         "escribo enseguida."),
    close=("¡Me alegro mucho! Marco la conversación como resuelta, pero puede responder si "
           "necesita algo más.",
           "¡Un placer ayudarle! Que tenga una buena semana."),
    onhold=("He pasado el problema a nuestros ingenieros con todos los detalles y dejo la "
            "conversación abierta. Le escribiré en cuanto haya una corrección.",),
    fixed=("Buenas noticias: la corrección está publicada desde hoy. ¿Puede volver a "
           "intentarlo? Todo debería funcionar.",
           "Una actualización rápida: nuestros ingenieros publicaron una corrección esta mañana. "
           "¡Gracias por su paciencia y por avisarnos!"),
    checkin=("Le escribo para saber si mi último mensaje le ayudó. Si necesita algo más, aquí "
             "estoy.",),
    notes=("@{mention} ¿puedes echarle un vistazo? El cliente está en el plan {plan} y todo su "
           "equipo está bloqueado.",
           "@{mention} lo vimos la semana pasada con otro cliente, seguramente es la misma "
           "causa. ¿Lo confirmas?",
           "@{mention} he respondido con los pasos habituales; si mañana sigue igual, ¿lo "
           "escalamos?"),
)

JA = Words(
    lang="ja",
    cases={
        "billing": (
            ("請求書 {invoice} について",
             "請求書 {invoice}（{amount}）を受け取りましたが、先月すでに下位プランに変更して"
             "います。旧料金で請求されている理由を確認していただけますか。",
             "ご連絡ありがとうございます。プラン変更は請求期間の終了時に適用される設定になって"
             "いたため、請求書 {invoice} には旧料金が反映されておりました。差額分をクレジット"
             "として追加いたしましたので、次回の請求書に反映されます。"),
            ("今月二重に請求されています",
             "今月、カードに {amount} が二回請求されています。確認のうえ、重複分を返金して"
             "いただけますでしょうか。",
             "ご指摘のとおり、決済代行会社でのタイムアウトにより決済が二重に処理されて"
             "おりました。重複分の {amount} を返金いたしました。カード会社によっては反映まで"
             "5〜10日ほどかかります。"),
            ("請求書に登録番号を記載したい",
             "経理の都合で、すべての請求書に適格請求書発行事業者の登録番号と会社の住所を記載"
             "する必要があります。どこで設定できますか。また、請求書 {invoice} を再発行して"
             "いただけますか。",
             "登録番号とご請求先住所は「設定 → 請求 → 請求書情報」から追加できます。"
             "請求書 {invoice} はこれらの情報を記載して再発行いたしましたので、同じページから"
             "新しいPDFをダウンロードしてください。"),
        ),
        "login": (
            ("パスワード変更後にログインできません",
             "昨日パスワードを変更したのですが、それ以降、新しいパスワードを入力しても"
             "「認証情報が正しくありません」と表示されます。ブラウザを二つ試しました。",
             "ご不便をおかけして申し訳ございません。複数回ログインに失敗したため、アカウントが"
             "ロックされておりました。ロックを解除いたしましたので、現在はログインいただけます。"),
            ("スマートフォンを紛失し、二段階認証でログインできません",
             "認証アプリを入れていたスマートフォンを紛失してしまい、二段階認証を通過できません。"
             "リカバリーコードも手元にありません。どうすればアカウントに戻れますか。",
             "ご安心ください。安全のため、ご登録の請求担当者様にご本人確認を行ったうえで、"
             "二段階認証を解除いたしました。ログイン後、新しいスマートフォンで二段階認証を再設定"
             "し、新しいリカバリーコードを安全な場所に保管してください。"),
            ("パスワード再設定のメールが届きません",
             "パスワードの再設定を三回申請しましたが、メールが届きません。迷惑メールフォルダにも"
             "入っていません。",
             "迷惑メールフォルダまでご確認いただきありがとうございます。貴社のメールサーバーが"
             "弊社からのメールを拒否しておりました。予備の送信元から新しいリンクをお送りしました"
             "ので、数分以内に届くはずです。リンクの有効期限は1時間です。"),
        ),
        "bug": (
            ("分析ページが表示されません",
             "今朝から、{network} アカウントの分析ページが真っ白のままです。ほかのアカウントは"
             "問題ありません。画面の隅にエラーコード {code} が表示されています。",
             "エラーコードをお知らせいただきありがとうございます。大変助かりました。こちらでも"
             "再現でき、昨夜一部のアカウントで {network} の統計データの取り込みに失敗していた"
             "ことがわかりました。現在エンジニアが対応しておりますので、修正され次第ご連絡"
             "いたします。"),
            ("画像のアップロードが90%で失敗します",
             "投稿に画像を添付しようとすると、毎回90%で止まってエラーになります。前回の"
             "アップデート以降に起きるようになりました。画像は5MBほどの普通のJPEGです。",
             "詳しい情報をありがとうございます。4MBを超える画像で問題を再現できましたので、"
             "エンジニアに共有いたしました。修正までの間は、画像を4MB未満に圧縮していただくと"
             "回避できます。"),
            ("キューに投稿が重複しています",
             "キューに同じ投稿が二つずつ表示されていて、今朝そのうちの一つが実際に {network} に"
             "二回投稿されてしまいました。フォロワーにも気づかれています。確認していただけますか。",
             "二重投稿となってしまい、大変申し訳ございません。投稿の処理中に編集するとコピーが"
             "作成されてしまう不具合が原因でした。キューの重複分は削除いたしました。再発しない"
             "よう、現在エンジニアが修正を進めております。"),
        ),
        "feature": (
            ("要望：複数の投稿をまとめて編集したい",
             "予約済みの投稿を複数まとめて編集できると（リンクや時間の変更など）、作業時間を"
             "大幅に減らせます。今後対応の予定はありますか。",
             "ご提案ありがとうございます。一括編集はご要望の多い機能の一つで、いただいた投票と"
             "利用例をロードマップに追加いたしました。現時点で時期はお約束できませんが、"
             "利用可能になりましたらお知らせいたします。"),
            ("{network} のファーストコメントに対応してほしい",
             "他のツールのように、{network} の投稿と一緒に最初のコメントも予約できるとうれしい"
             "です。対応の予定はありますか。",
             "素晴らしいアイデアをありがとうございます。同じご要望を多くいただいております。"
             "具体例とあわせてプロダクトチームに共有いたしましたので、進展があればご連絡"
             "いたします。"),
            ("ウェブアプリのダークモードはありますか",
             "チームで夜遅くまで作業することが多く、ウェブアプリの画面がとても明るく感じます。"
             "ダークモードはありますか。または予定はありますか。",
             "現在ダークモードはございませんが、今年中の対応を予定しており、いただいた投票も"
             "追加いたしました。なお、モバイルアプリはスマートフォン本体のダークモード設定に"
             "対応しております。"),
        ),
        "scheduling": (
            ("投稿が予定の時間に公開されませんでした",
             "{time}に予約していた投稿が、今朝かなり遅れて公開されました。タイムゾーンの設定は"
             "正しいはずです。何が起きたのでしょうか。",
             "詳細をありがとうございます。投稿スケジュールのタイムゾーンが「UTC」のままに"
             "なっていたため、公開が遅れておりました。「東京」に修正いたしましたので、次回以降は"
             "正しい時間に公開されます。"),
            ("予約投稿が公開されません",
             "昨日から、キューにある投稿が {network} に一つも公開されていません。ステータスは"
             "「予約済み」のままです。確認していただけますか。",
             "アカウントを確認いたしました。{network} 側でのパスワード変更により、プロフィール"
             "の連携が解除されていたため、投稿がキューに残っておりました。「設定 → チャンネル」"
             "からプロフィールを再接続していただくと、自動的に公開されます。"),
            ("一週間分の投稿時間をまとめて変更したい",
             "すべての曜日の投稿時間を一度に変更するにはどうすればよいですか。おすすめの時間"
             "ではなく、{time}に投稿したいです。",
             "「設定 → 投稿スケジュール」で「毎日」を選択し、{time}を指定して保存してください。"
             "キューにある投稿も自動的に新しい時間へ移動します。"),
        ),
        "refund": (
            ("年間プランの返金について",
             "先週、月額プランではなく誤って年間プラン（{amount}）を契約してしまいました。"
             "返金のうえ、月額払いに切り替えていただくことは可能でしょうか。",
             "もちろんです。ご契約から30日以内のため、返金ポリシーの対象となります。{amount} を"
             "返金し、月額払いに切り替えました。明細への反映まで5〜10日ほどかかります。"),
            ("解約と返金をお願いします",
             "Brioche の利用をやめることにしました。サブスクリプションを解約し、まだ利用して"
             "いない今月分（{amount}）を返金していただけますか。",
             "これまでご利用いただきありがとうございました。理由もお聞かせいただき感謝いたし"
             "ます。サブスクリプションを解約し、今月分（{amount}）を返金いたしました。データは"
             "30日間保持されますので、いつでもお戻りいただけます。"),
            ("解約後に請求されました",
             "二週間前に解約したのに、昨日 {amount} が請求されていました。返金をお願いします。",
             "大変申し訳ございません。解約が別のワークスペースで登録されていたため、更新処理が"
             "行われておりました。{amount} を返金し、正しいサブスクリプションを解約いたしました"
             "ので、今後請求されることはございません。"),
        ),
        "api": (
            ("今朝からAPIが401を返します",
             "今朝から、弊社の連携でAPIから 401 Unauthorized が返ってきます。こちらでは何も"
             "変更していません。障害が発生していますか。",
             "弊社側で障害は発生しておりません。ご利用中のAPIキーは、作成したユーザー様が"
             "ワークスペースから外れた際に無効化されておりました。「設定 → API」で新しいキーを"
             "作成し、連携先で更新していただければすぐにご利用いただけます。"),
            ("APIのレート制限に達してしまいます",
             "数分ごとに投稿を同期すると 429 エラーが発生します。レート制限はどのくらいで、"
             "弊社アカウントの上限を引き上げていただくことはできますか。",
             "上限はキーごとに1分あたり60リクエストです。3台のサーバーで1つのキーを共有されて"
             "いるため、上限に達しておりました。再試行の間隔を徐々に延ばすか、ポーリングの"
             "代わりにWebhookのご利用をおすすめします。また、当面の上限を1分あたり120に"
             "引き上げました。"),
            ("新着コメントのWebhookが呼ばれません",
             "新着コメント用のWebhookを登録しましたが、一度も呼ばれません。ダッシュボードからの"
             "テストイベントは届きます。何が足りないのでしょうか。",
             "詳細をありがとうございます。コメントのWebhookには、APIキーに「コメント」権限が"
             "必要です。現在のキーには「投稿」権限のみが付与されています。「設定 → API」で権限"
             "を追加すると、Webhookが呼び出されるようになります。"),
        ),
        "integrations": (
            ("{integration} との同期が止まりました",
             "二日前から {integration} 連携の同期が止まっています。Brioche に新しいデータが"
             "表示されず、再接続しても直りませんでした。",
             "再接続までお試しいただきありがとうございます。ワークスペースの {integration} "
             "トークンの有効期限が切れており、再接続でも置き換わっていませんでした。古いトークン"
             "を削除いたしましたので、もう一度 {integration} を接続してください。1時間以内に"
             "同期が追いつきます。"),
            ("{integration} をワークスペースに接続したい",
             "{integration} を Brioche に接続したいのですが、設定場所が見つかりません。現在の"
             "プランで利用できますか。",
             "はい、現在のプランで {integration} をご利用いただけます。「設定 → 連携」から "
             "{integration} を選び、手順に沿って進めてください。2分ほどで完了します。ご不明な"
             "点があればお気軽にお知らせください。"),
            ("{integration} に通知が二重に届きます",
             "昨日から、すべての通知が {integration} に二回ずつ届きます。チームにとってかなり"
             "煩わしいです。",
             "ワークスペースに {integration} への接続が二つあり、そのうち一つが昨日追加された"
             "ものでした。重複している接続を削除いたしましたので、今後は通知が一度だけ"
             "届きます。"),
        ),
    },
    greeting=("お世話になっております。", "いつもお世話になっております。"),
    first_greeting=("はじめてご連絡いたします。",),
    signoff=("よろしくお願いいたします。\n{name}",
             "お手数ですが、よろしくお願いいたします。\n{name}"),
    agent_greeting=(
        "{first}様\n\nお問い合わせいただきありがとうございます。Brioche サポートの{agent}です。",
        "{first}様\n\nいつも Brioche をご利用いただきありがとうございます。"
        "サポートの{agent}です。"),
    agent_signoff=("引き続きよろしくお願いいたします。\n{agent}",
                   "何かございましたら、お気軽にご連絡ください。\n{agent}"),
    more=("試してみましたが、まだ解決していません。表示されている画面のスクリーンショットを添付"
          "します。",
          "早速のご回答ありがとうございます。改善はしましたが、アカウントの一つでまだ問題が発生"
          "しています。"),
    nudge=("その後、進捗はいかがでしょうか。まだご回答をいただけていないため、ご連絡いたしました。",
           "先日の件について、念のため再度ご連絡いたしました。"),
    thanks=("解決しました。ありがとうございました！", "問題なく動くようになりました。迅速なご対応に"
            "感謝いたします。", "助かりました、ありがとうございます！"),
    again=("スクリーンショットをありがとうございます。アカウントの別の設定にも同じ問題がありました"
           "ので、あわせて修正いたしました。もう一度お試しいただけますか。",
           "ご確認ありがとうございます。残りのアカウントも修正いたしましたので、これで問題なく"
           "ご利用いただけるはずです。解決しない場合はお知らせください。"),
    ack=("お問い合わせありがとうございます。ただいま確認しておりますので、少々お待ちください。",
         "詳細をありがとうございます。弊社側で確認いたしますので、折り返しご連絡いたします。"),
    close=("解決したとのこと、安心いたしました。本件はいったん解決済みとさせていただきますが、"
           "何かあればこのままご返信ください。",
           "お役に立ててうれしいです。引き続き Brioche をよろしくお願いいたします。"),
    onhold=("詳細をすべて添えてエンジニアに共有いたしました。本件はオープンのままにしておき、"
            "修正が完了し次第ご連絡いたします。",),
    fixed=("お待たせいたしました。本日修正をリリースいたしました。もう一度お試しいただけますか。",
           "進捗のご報告です。今朝エンジニアが修正をリリースいたしました。ご報告いただき、また"
           "お待ちいただきありがとうございました。"),
    checkin=("前回のご案内で解決しましたでしょうか。ほかにお困りのことがあれば、お気軽にお知らせ"
             "ください。",),
    notes=("@{mention} ちょっと見てもらえますか？{plan}プランのお客様で、チーム全体の作業が止まって"
           "いるそうです。",
           "@{mention} 先週も別のお客様で同じ症状がありました。原因は同じだと思いますが、確認"
           "お願いできますか？",
           "@{mention} いつもの手順で回答済みです。明日も解決していなければエスカレーションしても"
           "いいですか？"),
)

TEXTS = {w.lang: w for w in (EN, FR, DE, ES, JA)}

# Notes between colleagues when they don't share the customer's language: English.
TOPIC_NOTES = {
    "billing": "@{mention} can you confirm the credit for invoice {invoice} went through in "
               "Stripe?",
    "login": "@{mention} verified their identity with the billing contact before touching 2FA, "
             "as per the security checklist. Anything in the auth logs?",
    "bug": "@{mention} reproduced on staging, error {code}. Filed as BRIO-{ticket} with the "
           "steps and the account id.",
    "feature": "@{mention} one more vote for this on the roadmap card, with their use case. "
               "Third request this week.",
    "scheduling": "@{mention} posts queued in UTC instead of the account's time zone again. Same "
                  "bug as BRIO-{ticket}?",
    "refund": "@{mention} refund of {amount} approved: within 30 days, low usage. Can you process "
              "it in Stripe?",
    "api": "@{mention} three servers share one API key and hit 60 req/min. OK to raise their "
           "limit to 120 for now?",
    "integrations": "@{mention} their {integration} token expired and the reconnect didn't "
                    "replace it. Can you check the sync job?",
}
GENERIC_NOTES = (
    "@{mention} could you take a look at this one? They're on the {plan} plan and the whole "
    "team is blocked.",
    "@{mention} same thing came up last week with another customer, probably the same root "
    "cause. Can you confirm?",
)
ENGINEER_NOTES = (
    "On it. It's on our side; the fix is in review and I'll post here when it ships.",
    "Checked the logs: confirmed. I've re-run the job for this account and added a test so it "
    "doesn't come back.",
    "Found it, an edge case in the queue worker. Fix goes out in tomorrow's release.",
)

# Saved replies, per language. Placeholders are filled by services.render_macro().
MACROS = {
    "en": (
        ("Greeting & thanks",
         "Hi {{ customer.first_name }},\n\nThanks for reaching out! I'm {{ agent.first_name }} "
         "and I'll be looking after your request.\n\n\n\nBest,\n{{ agent.first_name }}"),
        ("Refund policy",
         "Hi {{ customer.first_name }},\n\nWe refund any payment made in the last 30 days, no "
         "questions asked. I've started the refund for you; it takes 5 to 10 days to appear on "
         "your statement.\n\nBest,\n{{ agent.first_name }}"),
        ("Password reset",
         "Hi {{ customer.first_name }},\n\nYou can reset your password from the sign-in page "
         "with “Forgot your password?”. The link is valid for one hour. If it doesn't arrive, "
         "check your spam folder or reply here, quoting #{{ conversation.id }}.\n\nBest,\n"
         "{{ agent.first_name }}"),
        ("Bug acknowledged",
         "Hi {{ customer.first_name }},\n\nThanks for the report! I've reproduced the problem "
         "and passed it to our engineers. I'm keeping this conversation (#{{ conversation.id }}) "
         "open and will write to you as soon as the fix ships.\n\nBest,\n{{ agent.first_name }}"),
        ("Feature request logged",
         "Hi {{ customer.first_name }},\n\nThanks for the idea! I've added it to our roadmap "
         "with your use case, and I'll let you know when there's news.\n\nBest,\n"
         "{{ agent.first_name }}"),
    ),
    "fr": (
        ("Accueil et remerciements",
         "Bonjour {{ customer.first_name }},\n\nMerci de nous avoir écrit ! Je suis "
         "{{ agent.first_name }} et je m'occupe de votre demande.\n\n\n\nBonne journée,\n"
         "{{ agent.first_name }}"),
        ("Politique de remboursement",
         "Bonjour {{ customer.first_name }},\n\nNous remboursons tout paiement effectué au cours "
         "des 30 derniers jours, sans condition. J'ai lancé le remboursement ; comptez 5 à 10 "
         "jours pour le voir sur votre relevé.\n\nBonne journée,\n{{ agent.first_name }}"),
        ("Réinitialisation du mot de passe",
         "Bonjour {{ customer.first_name }},\n\nVous pouvez réinitialiser votre mot de passe "
         "depuis la page de connexion avec « Mot de passe oublié ? ». Le lien est valable une "
         "heure. S'il n'arrive pas, vérifiez vos spams ou répondez ici en rappelant "
         "#{{ conversation.id }}.\n\nBonne journée,\n{{ agent.first_name }}"),
        ("Bug pris en compte",
         "Bonjour {{ customer.first_name }},\n\nMerci pour le signalement ! J'ai reproduit le "
         "problème et je l'ai transmis à nos ingénieurs. Je garde cette conversation "
         "(#{{ conversation.id }}) ouverte et je vous écris dès que le correctif est en ligne."
         "\n\nBonne journée,\n{{ agent.first_name }}"),
    ),
    "de": (
        ("Begrüßung und Dank",
         "Hallo {{ customer.first_name }},\n\ndanke für Ihre Nachricht! Ich bin "
         "{{ agent.first_name }} und kümmere mich um Ihr Anliegen.\n\n\n\nViele Grüße\n"
         "{{ agent.first_name }}"),
        ("Erstattungsregel",
         "Hallo {{ customer.first_name }},\n\nwir erstatten jede Zahlung der letzten 30 Tage "
         "ohne Wenn und Aber. Ich habe die Erstattung veranlasst; sie erscheint in 5 bis 10 "
         "Tagen auf Ihrem Konto.\n\nViele Grüße\n{{ agent.first_name }}"),
        ("Passwort zurücksetzen",
         "Hallo {{ customer.first_name }},\n\nSie können Ihr Passwort auf der Anmeldeseite über "
         "„Passwort vergessen?“ zurücksetzen. Der Link ist eine Stunde gültig. Falls er nicht "
         "ankommt, prüfen Sie den Spam-Ordner oder antworten Sie hier mit Verweis auf "
         "#{{ conversation.id }}.\n\nViele Grüße\n{{ agent.first_name }}"),
        ("Fehler bestätigt",
         "Hallo {{ customer.first_name }},\n\ndanke für die Meldung! Ich konnte das Problem "
         "nachstellen und habe es an unsere Entwickler weitergegeben. Ich lasse dieses Gespräch "
         "(#{{ conversation.id }}) offen und melde mich, sobald die Korrektur live ist.\n\n"
         "Viele Grüße\n{{ agent.first_name }}"),
    ),
    "es": (
        ("Saludo y agradecimiento",
         "Hola, {{ customer.first_name }}:\n\n¡Gracias por escribirnos! Soy "
         "{{ agent.first_name }} y me encargo de su consulta.\n\n\n\nUn saludo,\n"
         "{{ agent.first_name }}"),
        ("Política de reembolso",
         "Hola, {{ customer.first_name }}:\n\nReembolsamos cualquier pago de los últimos 30 "
         "días, sin preguntas. Ya he iniciado el reembolso; tardará de 5 a 10 días en aparecer "
         "en su extracto.\n\nUn saludo,\n{{ agent.first_name }}"),
        ("Restablecer la contraseña",
         "Hola, {{ customer.first_name }}:\n\nPuede restablecer su contraseña desde la página de "
         "inicio de sesión con «¿Olvidó su contraseña?». El enlace es válido durante una hora. "
         "Si no le llega, revise la carpeta de spam o responda aquí indicando "
         "#{{ conversation.id }}.\n\nUn saludo,\n{{ agent.first_name }}"),
        ("Error confirmado",
         "Hola, {{ customer.first_name }}:\n\n¡Gracias por avisarnos! He reproducido el problema "
         "y se lo he pasado a nuestros ingenieros. Dejo esta conversación "
         "(#{{ conversation.id }}) abierta y le escribiré en cuanto se publique la corrección."
         "\n\nUn saludo,\n{{ agent.first_name }}"),
    ),
    "ja": (
        ("ご挨拶とお礼",
         "{{ customer.first_name }}様\n\nお問い合わせいただきありがとうございます。"
         "Brioche サポートの{{ agent.first_name }}が担当いたします。\n\n\n\n"
         "よろしくお願いいたします。\n{{ agent.first_name }}"),
        ("返金ポリシー",
         "{{ customer.first_name }}様\n\n過去30日以内のお支払いは、理由を問わず返金いたします。"
         "返金手続きを開始しましたので、明細への反映まで5〜10日ほどお待ちください。\n\n"
         "よろしくお願いいたします。\n{{ agent.first_name }}"),
        ("パスワードの再設定",
         "{{ customer.first_name }}様\n\nログイン画面の「パスワードをお忘れですか？」から"
         "パスワードを再設定いただけます。リンクの有効期限は1時間です。届かない場合は迷惑メール"
         "フォルダをご確認いただくか、お問い合わせ番号 #{{ conversation.id }} を添えてこのまま"
         "ご返信ください。\n\nよろしくお願いいたします。\n{{ agent.first_name }}"),
        ("不具合の受付",
         "{{ customer.first_name }}様\n\nご報告ありがとうございます。問題を再現できましたので、"
         "エンジニアに共有いたしました。本件（#{{ conversation.id }}）はオープンのままにしておき、"
         "修正がリリースされ次第ご連絡いたします。\n\nよろしくお願いいたします。\n"
         "{{ agent.first_name }}"),
    ),
}
MACRO_NAMES = sorted({name for entries in MACROS.values() for name, _body in entries})

# --- names --------------------------------------------------------------------------------
# (first names, last names); Japanese ones are (kanji, romaji) pairs, for the email address.

NAMES: dict[str, tuple[tuple, tuple]] = {
    "en": (
        ("James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella",
         "Lucas", "Mia", "Oliver", "Charlotte", "Aiden", "Amelia", "Elijah", "Harper", "Henry",
         "Evelyn", "Jack", "Abigail", "Samuel", "Emily", "Daniel", "Ella", "Matthew", "Grace",
         "David", "Chloe", "Ryan", "Zoe", "Nathan", "Hannah", "Aisha", "Raj", "Kwame", "Sean",
         "Maya", "Tyler"),
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
         "Anderson", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris",
         "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker",
         "Adams", "Campbell", "Mitchell", "Murphy", "O'Connor", "Patel", "Nguyen", "Kim",
         "Singh", "Okafor", "Cohen", "Reed", "Hughes"),
    ),
    "fr": (
        ("Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Sarah",
         "Juliette", "Clémence", "Margaux", "Élodie", "Aurélie", "Mathilde", "Lucas", "Hugo",
         "Louis", "Gabriel", "Arthur", "Jules", "Nathan", "Théo", "Raphaël", "Thomas", "Antoine",
         "Maxime", "Julien", "Nicolas", "Benoît", "Étienne", "Mehdi", "Yasmine", "Karim",
         "Amadou", "Sylvie", "Françoise", "Pierre", "Céline", "Guillaume"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
         "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
         "Dupont", "Lambert", "Bonnet", "François", "Legrand", "Garnier", "Faure", "Rousseau",
         "Blanc", "Guérin", "Muller", "Henry", "Perrin", "Benali", "Diallo", "Nguyen"),
    ),
    "de": (
        ("Lena", "Anna", "Lea", "Hannah", "Sophie", "Marie", "Laura", "Julia", "Katharina",
         "Sabine", "Claudia", "Petra", "Jana", "Miriam", "Franziska", "Lukas", "Leon", "Finn",
         "Jonas", "Paul", "Felix", "Maximilian", "Tobias", "Jan", "Florian", "Stefan", "Andreas",
         "Michael", "Thomas", "Markus", "Matthias", "Sebastian", "Jürgen", "Uwe", "Dominik",
         "Elif", "Mehmet", "Ursula", "Heike", "Niklas"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
         "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
         "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Huber",
         "Gruber", "Yılmaz", "Kaya", "Vogel", "Frank", "Berger", "Jung", "Keller", "Roth"),
    ),
    "es": (
        ("Sofía", "Lucía", "María", "Martina", "Paula", "Valentina", "Camila", "Daniela",
         "Carmen", "Laura", "Isabel", "Elena", "Ana", "Claudia", "Gabriela", "Mateo", "Santiago",
         "Hugo", "Martín", "Lucas", "Diego", "Alejandro", "Daniel", "Pablo", "Javier", "Carlos",
         "Andrés", "Sergio", "Jorge", "Miguel", "Luis", "Fernando", "Ricardo", "Tomás",
         "Joaquín", "Ximena", "Valeria", "Renata", "Pilar", "Rocío"),
        ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
         "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
         "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
         "Castro", "Ortiz", "Rubio", "Morales", "Silva", "Rojas", "Vargas", "Herrera", "Medina",
         "Castillo", "Flores", "Mendoza", "Reyes", "Aguilar", "Cruz"),
    ),
    "ja": (
        (("陽翔", "haruto"), ("蓮", "ren"), ("湊", "minato"), ("大翔", "hiroto"),
         ("悠真", "yuma"), ("翔太", "shota"), ("健太", "kenta"), ("大輔", "daisuke"),
         ("拓也", "takuya"), ("誠", "makoto"), ("浩", "hiroshi"), ("直樹", "naoki"),
         ("陽菜", "hina"), ("結衣", "yui"), ("葵", "aoi"), ("さくら", "sakura"),
         ("美咲", "misaki"), ("愛", "ai"), ("花子", "hanako"), ("優子", "yuko"), ("恵", "megumi"),
         ("彩", "aya"), ("真由美", "mayumi"), ("由美子", "yumiko"), ("明美", "akemi"),
         ("七海", "nanami"), ("美穂", "miho"), ("麻衣", "mai"), ("千尋", "chihiro"),
         ("智子", "tomoko")),
        (("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
         ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
         ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
         ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
         ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
         ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
         ("阿部", "abe"), ("石川", "ishikawa"), ("前田", "maeda"), ("藤田", "fujita"),
         ("小川", "ogawa"), ("岡田", "okada")),
    ),
}

# Organisations: name patterns per language; Japanese ones with their romaji for the domain.
ORG_WORDS: dict[str, tuple[tuple, tuple]] = {
    "en": (
        ("Northwind", "Bluebird", "Harbor", "Maple", "Summit", "Copper", "Lantern", "Juniper",
         "Redwood", "Silverline", "Brightpath", "Fieldstone", "Pinecrest", "Tidewater",
         "Hillside", "Larkspur", "Ironbridge", "Wildflower", "Beacon", "Cobalt", "Meadowlark",
         "Granite", "Sunrise", "Driftwood", "Oakridge"),
        ("{} Labs", "{} Coffee Co.", "{} Studio", "{} Outfitters", "{} Media", "{} Analytics",
         "{} Bakery", "{} Travel", "{} Health", "{} Goods", "{} Books", "{} Fitness",
         "{} Realty", "{} Agency", "{} Apparel", "{} Brewing"),
    ),
    "fr": (
        ("Moreau", "Lefèvre", "du Marais", "des Lilas", "Beaulieu", "Saint-Martin", "Lumière",
         "du Port", "Bellevue", "des Alpes", "Rivoli", "Montmartre", "Garnier", "de Loire",
         "Océane"),
        ("Atelier {}", "Maison {}", "Librairie {}", "Boulangerie {}", "Studio {}", "Agence {}",
         "Cabinet {}", "Éditions {}", "Brasserie {}", "Fromagerie {}", "Galerie {}",
         "Domaine {}", "Pâtisserie {}", "Épicerie {}", "Cave {}"),
    ),
    "de": (
        ("Alpenblick", "Nordlicht", "Rheinland", "Hafenkante", "Sonnenberg", "Lindenhof",
         "Elbwerk", "Isartal", "Spreeufer", "Brückner", "Schwarzwald", "Bergmann", "Falkenstein",
         "Eichenhain", "Seeblick"),
        ("{} Logistik GmbH", "{} Design GmbH", "{} Verlag", "{} Medien GmbH", "{} Reisen",
         "{} Sport", "{} Technik AG", "{} Manufaktur", "{} Kaffeerösterei", "{} Druckerei",
         "{} Immobilien", "{} Naturkost"),
    ),
    "es": (
        ("Sol", "Luna", "Mar", "Olivo", "Cielo", "Brisa", "Alba", "Roble", "Río", "Montaña",
         "Nogal", "Coral", "Aurora", "Jazmín", "Terra"),
        ("Estudio {}", "Café {}", "Editorial {}", "Viajes {}", "{} Digital", "Librería {}",
         "Grupo {}", "Agencia {}", "Hotel {}", "Moda {}", "Panadería {}", "Bodegas {}"),
    ),
    "ja": (
        (("さくら", "sakura"), ("ひかり", "hikari"), ("みどり", "midori"), ("青空", "aozora"),
         ("富士", "fuji"), ("桜井", "sakurai"), ("大和", "yamato"), ("東雲", "shinonome"),
         ("若葉", "wakaba"), ("北斗", "hokuto"), ("日向", "hinata"), ("朝日", "asahi"),
         ("白鷺", "shirasagi"), ("瑞穂", "mizuho"), ("紅葉", "momiji")),
        (("株式会社{}デザイン", "design"), ("{}商事株式会社", "shoji"), ("株式会社{}食品", "foods"),
         ("{}出版", "publishing"), ("{}ラボ", "lab"), ("株式会社{}トラベル", "travel"),
         ("{}書店", "books"), ("{}珈琲", "coffee"), ("{}工房", "kobo"),
         ("合同会社{}メディア", "media"), ("{}不動産", "realty"), ("{}スポーツ", "sports")),
    ),
}
