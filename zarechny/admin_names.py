"""The admin in proper Russian (issue 18.5): case and plural forms of every model name.

Django's admin builds its phrases from one form of a model's name: «Выберите %s для изменения», «Добавить %s»
and «Вы уверены, что хотите удалить %s …?» take `verbose_name` where Russian needs the accusative
(«Выберите категорию»), the changelist counts «7 %s» with `verbose_name_plural` («7 темы» instead of «7 тем»),
and «{name} «{obj}» был успешно добавлен» is masculine whatever the noun. Rewording the models' names cannot
fix that (one word, several cases), so `FORMS` holds each registered model's forms and `apply()` hands them to
the admin's views: the titles and the deleted object's name through `extra_context` (which Django lets override
its own), the count and the «Добавить …» button through the overridden templates admin/pagination.html and
admin/change_list_object_tools.html, the success messages through `message_user`; «Добавить ещё категорию» under
an inline table through the inline's formset data, and the «Удалить выбранные …» action with its confirmation
page (admin/delete_selected_confirmation.html) through `get_actions`.
tests/test_admin_russian.py checks every registered model has its forms, and every phrase.
"""

import functools
import json
import re
from dataclasses import dataclass

from django.contrib import admin


@dataclass(frozen=True)
class Forms:
    nominative: str  # «категория»: 1 категория, the app index
    accusative: str  # «категорию»: выберите, добавить, удалить
    few: str  # «категории»: 2, 3, 4
    many: str  # «категорий»: 0, 5…20
    gender: str  # "m", "f", "n": был / была / было
    animate: bool = False  # «удалить выбранных пользователей», not «… пользователи»

    def count(self, number):
        """«7 тем», «2 темы», «21 тема»."""
        if number % 10 == 1 and number % 100 != 11:
            word = self.nominative
        elif number % 10 in (2, 3, 4) and number % 100 not in (12, 13, 14):
            word = self.few
        else:
            word = self.many
        return f"{number} {word}"

    def past(self, stem, adverb="успешно "):
        """«была успешно добавлена»: the short participle agreeing with the noun (stem: добавлен, изменен)."""
        if self.gender == "m":
            return f"был {adverb}{stem[:-2]}ён" if stem in ("изменен", "удален") else f"был {adverb}{stem}"
        return {"f": f"была {adverb}{stem}а", "n": f"было {adverb}{stem}о"}[self.gender]

    def selected(self, count, nominative_plural):
        """«(удалить) выбранную категорию», «выбранного пользователя», «выбранные темы», «выбранных лиц»."""
        if count != 1:
            return (
                f"{'выбранных' if self.animate else 'выбранные'} {self.plural_accusative(nominative_plural)}"
            )
        if self.gender == "m":
            adjective = "выбранного" if self.animate else "выбранный"
        else:
            adjective = {"f": "выбранную", "n": "выбранное"}[self.gender]
        return f"{adjective} {self.accusative}"

    def plural_accusative(self, nominative_plural):
        """«(удалить выбранные) категории», «(… выбранных) пользователей»."""
        return self.many if self.animate else str(nominative_plural)


FORMS = {
    "auth.group": Forms("группа", "группу", "группы", "групп", "f"),
    "sites.site": Forms("сайт", "сайт", "сайта", "сайтов", "m"),
    "account.emailaddress": Forms(
        "адрес электронной почты",
        "адрес электронной почты",
        "адреса электронной почты",
        "адресов электронной почты",
        "m",
    ),
    "mfa.authenticator": Forms(
        "аутентификатор", "аутентификатор", "аутентификатора", "аутентификаторов", "m"
    ),
    "django_q.schedule": Forms(
        "запланированная задача",
        "запланированную задачу",
        "запланированные задачи",
        "запланированных задач",
        "f",
    ),
    "django_q.success": Forms("успешная задача", "успешную задачу", "успешные задачи", "успешных задач", "f"),
    "django_q.failure": Forms(
        "неудачная задача", "неудачную задачу", "неудачные задачи", "неудачных задач", "f"
    ),
    "django_q.ormq": Forms(
        "задача в очереди", "задачу в очереди", "задачи в очереди", "задач в очереди", "f"
    ),
    "accounts.consentrecord": Forms(
        "согласие на обработку персональных данных",
        "согласие на обработку персональных данных",
        "согласия на обработку персональных данных",
        "согласий на обработку персональных данных",
        "n",
    ),
    "accounts.outboundemail": Forms(
        "письмо учётной записи",
        "письмо учётной записи",
        "письма учётных записей",
        "писем учётных записей",
        "n",
    ),
    "accounts.apiclient": Forms(
        "приложение (API)", "приложение (API)", "приложения (API)", "приложений (API)", "n"
    ),
    "accounts.apiclientconsent": Forms(
        "разрешение приложению",
        "разрешение приложению",
        "разрешения приложениям",
        "разрешений приложениям",
        "n",
    ),
    "accounts.user": Forms(
        "пользователь", "пользователя", "пользователя", "пользователей", "m", animate=True
    ),
    "directory.organization": Forms("организация", "организацию", "организации", "организаций", "f"),
    "directory.topic": Forms("тема", "тему", "темы", "тем", "f"),
    "directory.category": Forms("категория", "категорию", "категории", "категорий", "f"),
    "directory.official": Forms(
        "ответственное должностное лицо",
        "ответственное должностное лицо",
        "ответственных должностных лица",
        "ответственных должностных лиц",
        "n",
        animate=True,
    ),
    "directory.calendaroverride": Forms(
        "исключение производственного календаря",
        "исключение производственного календаря",
        "исключения производственного календаря",
        "исключений производственного календаря",
        "n",
    ),
    "directory.rejectionreason": Forms(
        "причина отказа в регистрации",
        "причину отказа в регистрации",
        "причины отказа в регистрации",
        "причин отказа в регистрации",
        "f",
    ),
    "directory.answertemplate": Forms(
        "шаблон ответа", "шаблон ответа", "шаблона ответа", "шаблонов ответа", "m"
    ),
    "directory.faqentry": Forms(
        "типовой вопрос", "типовой вопрос", "типовых вопроса", "типовых вопросов", "m"
    ),
    "directory.topicproposal": Forms(
        "предложение по темам и категориям",
        "предложение по темам и категориям",
        "предложения по темам и категориям",
        "предложений по темам и категориям",
        "n",
    ),
    "citizen_messages.message": Forms("сообщение", "сообщение", "сообщения", "сообщений", "n"),
    "citizen_messages.notification": Forms("уведомление", "уведомление", "уведомления", "уведомлений", "n"),
    "citizen_messages.deadlinenotice": Forms(
        "напоминание о сроке", "напоминание о сроке", "напоминания о сроке", "напоминаний о сроке", "n"
    ),
    "citizen_messages.staffdigest": Forms(
        "сводка для сотрудника",
        "сводку для сотрудника",
        "сводки для сотрудников",
        "сводок для сотрудников",
        "f",
    ),
}

# The models edited only inline on another model's page (their «Добавить ещё …» link).
FORMS["citizen_messages.messageevent"] = Forms(
    "событие сообщения", "событие сообщения", "события сообщения", "событий сообщения", "n"
)
# An inline that names its model otherwise: the accusative of that name.
INLINE_ACCUSATIVE = {"роль должностного лица": "роль должностного лица"}

# Names a library left in English.
RENAMED = {"mfa.authenticator": ("аутентификатор", "аутентификаторы")}


def forms_for(opts):
    return FORMS.get(opts.label_lower)


def _titles(model_admin, forms):
    def with_title(view, phrase):
        @functools.wraps(view)
        def wrapped(request, *args, extra_context=None, **kwargs):
            context = dict(extra_context or {})
            context.setdefault("title", phrase(request, *args, **kwargs))
            context.setdefault("ru_add", f"Добавить {forms.accusative}")
            response = view(request, *args, extra_context=context, **kwargs)
            changelist = (
                getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
            )
            if changelist is not None:
                changelist.ru_result_count = forms.count(changelist.result_count)
                changelist.ru_full_count = forms.count(changelist.full_result_count or 0)
            return response

        return wrapped

    def changelist_title(request, *args, **kwargs):
        verb = "изменения" if model_admin.has_change_permission(request) else "просмотра"
        return f"Выберите {forms.accusative} для {verb}"

    def changeform_title(request, object_id=None, *args, **kwargs):
        if object_id is None:
            return f"Добавить {forms.accusative}"
        obj = model_admin.get_object(request, object_id)
        verb = "Изменить" if model_admin.has_change_permission(request, obj) else "Просмотреть"
        return f"{verb} {forms.accusative}"

    model_admin.changelist_view = with_title(model_admin.changelist_view, changelist_title)
    model_admin.add_view = with_title(
        model_admin.add_view, lambda request, *a, **k: f"Добавить {forms.accusative}"
    )
    model_admin.change_view = with_title(model_admin.change_view, changeform_title)

    delete_view = model_admin.delete_view

    @functools.wraps(delete_view)
    def delete(request, object_id, extra_context=None):
        # «Вы уверены, что хотите удалить категорию «…»?»: the template takes the name from the context.
        return delete_view(
            request, object_id, extra_context={"object_name": forms.accusative, **(extra_context or {})}
        )

    model_admin.delete_view = delete


def _messages(model_admin, forms):
    """«Категория «Ямы» была успешно добавлена»: Django's Russian is masculine for every noun."""
    message_user = model_admin.message_user
    capfirst_name = str(model_admin.opts.verbose_name)
    masculine = {
        f"был изменен. Вы можете добавить еще один {capfirst_name}": (
            f"{forms.past('изменен', '')}. Вы можете добавить ещё {forms.accusative}"
        ),
        "был успешно добавлен": forms.past("добавлен"),
        "был успешно изменен": forms.past("изменен"),
        "был успешно удален": forms.past("удален"),
    }

    # «Успешно удалены 5 категории», «1 категория был успешно изменен»: the count takes its own form.
    counted = [
        (re.compile(r"^Успешно удалены (\d+) .+\.$"), "Успешно удалено: {}."),
        (re.compile(r"^(\d+) .+ (?:был успешно изменен|были успешно изменены)\.$"), "Успешно изменено: {}."),
    ]

    @functools.wraps(message_user)
    def wrapped(request, message, *args, **kwargs):
        text = str(message)
        for pattern, phrase in counted:
            match = pattern.match(text)
            if match:
                text = phrase.format(forms.count(int(match.group(1))))
        for old, new in masculine.items():
            text = text.replace(old, new)
        if text != str(message):
            from django.utils.safestring import SafeData, mark_safe

            message = mark_safe(text) if isinstance(message, SafeData) else text
        return message_user(request, message, *args, **kwargs)

    model_admin.message_user = wrapped


def inline_add_text(inline):
    """«Добавить ещё категорию» under an inline table: Django's «Добавить еще один %(verbose_name)s» is
    masculine and nominative («Добавить еще один Категория»). None when the name has no known forms."""
    name = str(inline.verbose_name)
    if name in INLINE_ACCUSATIVE:
        return f"Добавить ещё {INLINE_ACCUSATIVE[name]}"
    forms = forms_for(inline.model._meta)
    return None if forms is None else f"Добавить ещё {forms.accusative}"


def _inlines(model_admin):
    get_inline_formsets = model_admin.get_inline_formsets

    @functools.wraps(get_inline_formsets)
    def wrapped(*args, **kwargs):
        formsets = get_inline_formsets(*args, **kwargs)
        for formset in formsets:
            text = inline_add_text(formset.opts)
            if text is not None:
                formset.inline_formset_data = _with_add_text(formset.inline_formset_data, text)
        return formsets

    model_admin.get_inline_formsets = wrapped


def _with_add_text(inline_formset_data, text):
    def data():
        value = json.loads(inline_formset_data())
        value["options"]["addText"] = text
        return json.dumps(value)

    return data


def _delete_selected(model_admin, forms):
    """The «Удалить выбранные …» action and its confirmation page: Django puts the nominative there
    («Удалить выбранные пользователи», «удалить выбранные категория» for one)."""
    get_actions = model_admin.get_actions
    description = f"Удалить {forms.selected(2, model_admin.opts.verbose_name_plural)}"

    @functools.wraps(get_actions)
    def wrapped(request):
        actions = get_actions(request)
        if "delete_selected" in actions:
            func, name, _ = actions["delete_selected"]
            actions["delete_selected"] = (
                _confirmation(func, forms),
                name,
                description,
            )
        return actions

    model_admin.get_actions = wrapped


def _confirmation(action, forms):
    @functools.wraps(action)
    def delete_selected(modeladmin, request, queryset):
        response = action(modeladmin, request, queryset)
        context = getattr(response, "context_data", None)
        if context is not None:
            count = len(queryset)  # evaluated by the action already: no query
            # For templates/admin/delete_selected_confirmation.html.
            context["ru_objects"] = forms.selected(count, modeladmin.opts.verbose_name_plural)
            context["ru_total"] = count if count > 1 else None
            context["ru_count"] = forms.count(count)
            if context.get("perms_lacking") or context.get("protected"):
                context["title"] = f"Не удаётся удалить {context['ru_objects']}"
        return response

    return delete_selected


def apply(site=admin.site):
    """Give every registered ModelAdmin of `site` the Russian forms of its model's name (once)."""
    for model, model_admin in site._registry.items():
        if getattr(model_admin, "_russian_names", False):
            continue
        model_admin._russian_names = True
        opts = model._meta
        if opts.label_lower in RENAMED:
            opts.verbose_name, opts.verbose_name_plural = RENAMED[opts.label_lower]
        forms = forms_for(opts)
        if forms is None:
            continue  # tests/test_admin_russian.py fails for a model without forms
        _titles(model_admin, forms)
        _messages(model_admin, forms)
        _inlines(model_admin)
        _delete_selected(model_admin, forms)
