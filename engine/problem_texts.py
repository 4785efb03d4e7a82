"""What process owners read about a bundle, a dry run or a migration: every message in French and English.

A message is built from a stable code and its parameters: `say("timer.no_offset", value="2025-03-01T09:00")`.
It is a `str` whose value is the English text (logs, older callers and `str(problem)` read as before);
`.text(locale)` gives it in French (the default) or English. Parameters that quote the diagram (ids,
expressions, ISO values, file names) or a library (lxml, jsonschema, SpiffWorkflow) are shown verbatim
in both languages; a parameter that is itself a message, or a list of them, is said in the same language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"

TEXTS: dict[str, dict[str, str]] = {
    # -- words used inside other messages ------------------------------------------------------------------
    "word.none_feminine": {"fr": "aucune", "en": "none"},
    "word.none_masculine": {"fr": "aucun", "en": "none"},
    "word.quoted": {"fr": "« {text} »", "en": "'{text}'"},
    "word.form_root": {"fr": "(racine)", "en": "(root)"},
    "word.nothing_visible": {"fr": "rien que le parcours à blanc puisse voir", "en": "nothing it can see"},
    # -- what Python's JSON parser and jsonschema say, when a form is edited by hand ----------------------
    "json.expecting_value": {"fr": "une valeur est attendue ici (un texte entre guillemets doubles, un nombre, true, "
                                   "false, null, {{…}} ou […]) ; une virgule en trop avant « ] » ?",
                             "en": "Expecting value"},
    "json.expecting_comma": {"fr": "une virgule est attendue entre deux éléments", "en": "Expecting ',' delimiter"},
    "json.expecting_colon": {"fr": "deux-points sont attendus après le nom d'une propriété",
                             "en": "Expecting ':' delimiter"},
    "json.expecting_name": {"fr": "un nom de propriété entre guillemets doubles est attendu ; une virgule en trop "
                                  "avant « }} » ?",
                            "en": "Expecting property name enclosed in double quotes"},
    "json.extra_data": {"fr": "du texte suit la fin du JSON", "en": "Extra data"},
    "json.control_character": {"fr": "un texte contient un retour à la ligne ou une tabulation : écrivez \\n ou \\t",
                               "en": "Invalid control character at"},
    "json.bad_escape": {"fr": "une barre oblique inverse (\\) est suivie d'un caractère qu'elle ne peut pas "
                              "précéder : écrivez \\\\ pour une barre oblique inverse",
                        "en": "Invalid \\escape"},
    "json.unterminated": {"fr": "un texte n'est pas fermé : il manque un guillemet double",
                          "en": "Unterminated string starting at"},
    "schema.not_of_type": {"fr": "{value} devrait être {type}", "en": "{value} is not of type {type}"},
    "schema.unknown_type": {"fr": "{value} n'est pas un type de JSON Schema : string, number, integer, boolean, "
                                  "object, array ou null",
                            "en": "{value} is not a JSON Schema type: string, number, integer, boolean, object, "
                                  "array or null"},
    "schema.no_form_matches": {"fr": "{value} n'a aucune des formes admises ici",
                               "en": "{value} is not valid under any of the given schemas"},
    "schema.not_unique": {"fr": "{value} contient des éléments en double", "en": "{value} has non-unique elements"},
    "schema.below_minimum": {"fr": "{value} est plus petit que le minimum, {minimum}",
                             "en": "{value} is less than the minimum of {minimum}"},
    "schema.not_one_of": {"fr": "{value} n'est pas une des valeurs admises : {allowed}",
                          "en": "{value} is not one of {allowed}"},
    "schema.too_short": {"fr": "{value} ne peut pas être vide", "en": "{value} should be non-empty"},
    "xsd.attribute_missing": {"fr": "l'élément {element} n'a pas l'attribut « {attribute} », qui est obligatoire",
                              "en": "Element '{element}': The attribute '{attribute}' is required but missing."},
    "xsd.attribute_not_allowed": {"fr": "l'attribut « {attribute} » n'est pas permis sur l'élément {element}",
                                  "en": "Element '{element}', attribute '{attribute}': The attribute '{attribute}' "
                                        "is not allowed."},
    "type.object": {"fr": "un objet ({{…}})", "en": "'object'"},
    "type.array": {"fr": "une liste ([…])", "en": "'array'"},
    "type.string": {"fr": "un texte entre guillemets doubles", "en": "'string'"},
    "type.integer": {"fr": "un nombre entier", "en": "'integer'"},
    "type.number": {"fr": "un nombre", "en": "'number'"},
    "type.boolean": {"fr": "true ou false", "en": "'boolean'"},
    "type.null": {"fr": "null", "en": "'null'"},
    # -- files of a bundle -------------------------------------------------------------------------------
    "bundle.too_many_files": {"fr": "trop de fichiers ({count} ; la limite est de {limit})",
                              "en": "too many files ({count}; the limit is {limit})"},
    "bundle.no_bpmn": {"fr": "aucun fichier .bpmn parmi les fichiers du processus",
                       "en": "the bundle has no .bpmn file"},
    "bundle.unreadable": {"fr": "les fichiers du processus n'ont pas pu être lus", "en": "the bundle could not be read"},
    "xml.binary": {"fr": "ce n'est pas un fichier texte (il contient des données binaires) : exportez le diagramme "
                         "en BPMN 2.0 XML (.bpmn) ou la table en DMN (.dmn)",
                   "en": "this is not a text file (it holds binary data); export the diagram as BPMN 2.0 XML (.bpmn) "
                         "or the table as DMN (.dmn)"},
    "xml.too_large": {"fr": "le fichier est trop gros ({size} Kio ; la limite est de {limit} Kio)",
                      "en": "file is too large ({size} KiB; the limit is {limit} KiB)"},
    "xml.doctype": {"fr": "les déclarations DOCTYPE et ENTITY ne sont pas autorisées",
                    "en": "DOCTYPE and ENTITY declarations are not allowed"},
    "xml.not_well_formed": {"fr": "le XML est mal formé : {error}", "en": "not well-formed XML: {error}"},
    "xml.unreadable": {"fr": "le fichier ne se lit pas comme du XML : {error}", "en": "not readable as XML: {error}"},
    "bpmn.not_bpmn": {"fr": "ce n'est pas un diagramme BPMN 2.0 (c'est du XML <{tag}>) : exportez le diagramme "
                            "depuis votre modeleur en BPMN 2.0 XML",
                      "en": "not a BPMN 2.0 diagram (it is <{tag}> XML); export the diagram from your modeler as "
                            "BPMN 2.0 XML"},
    "bpmn.xsd": {"fr": "ce n'est pas du BPMN 2.0 valide : {error}", "en": "not valid BPMN 2.0: {error}"},
    "upload.none": {"fr": "choisissez au moins un fichier à envoyer (.bpmn, .dmn ou un formulaire .json)",
                    "en": "choose at least one file to upload (.bpmn, .dmn or a .json form)"},
    "upload.too_large": {"fr": "le fichier est trop gros (la limite est de {limit} Kio)",
                         "en": "file is too large (the limit is {limit} KiB)"},
    "upload.wrong_kind": {"fr": "seuls les diagrammes .bpmn, les tables .dmn et les formulaires .json peuvent être "
                                "envoyés",
                          "en": "only .bpmn diagrams, .dmn tables and .json forms can be uploaded"},
    # -- the process and its elements ----------------------------------------------------------------------
    "process.not_executable": {"fr": "le diagramme n'a aucun processus exécutable : dans votre modeleur, marquez le "
                                     "processus comme exécutable (isExecutable=\"true\")",
                               "en": "the diagram has no executable process: in your modeler, mark the process as "
                                     "executable (isExecutable=\"true\")"},
    "process.several_main": {"fr": "il faut un seul processus exécutable principal ; il y en a {count} : {ids}",
                             "en": "expected one main executable process, found {count}: {ids}"},
    "id.duplicate": {"fr": "l'identifiant « {id} » est utilisé deux fois (aussi ligne {other_line})",
                     "en": "id '{id}' is used twice (also line {other_line})"},
    "id.clashes_with_operation": {"fr": "l'opération de service « {name} » a le même identifiant que l'élément "
                                        "« {name} » (ligne {other_line}) : renommez l'élément",
                                  "en": "service operation '{name}' has the same id as element '{name}' "
                                        "(line {other_line}); rename the element"},
    "lane.duplicate": {"fr": "deux couloirs s'appellent « {name} »", "en": "two lanes are named '{name}'"},
    "unsupported.complex_gateway": {"fr": "les passerelles complexes ne sont pas prises en charge par SpiffWorkflow : "
                                          "utilisez une passerelle exclusive ou inclusive",
                                    "en": "complex gateways are not supported by SpiffWorkflow; use exclusive or "
                                          "inclusive gateways"},
    "unsupported.compensation": {"fr": "les événements de compensation ne sont pas pris en charge ici",
                                 "en": "compensation events are not supported here"},
    "unsupported.link": {"fr": "les événements de lien ne sont pas pris en charge ici : tracez plutôt le flux de "
                               "séquence",
                         "en": "link events are not supported here; draw the sequence flow instead"},
    "gateway.flow_without_condition": {"fr": "le flux sortant « {flow} » n'a pas de condition",
                                       "en": "outgoing flow '{flow}' has no condition"},
    "gateway.no_condition_no_default": {"fr": "le flux sortant « {flow} » n'a pas de condition et la passerelle n'a "
                                              "pas de flux par défaut",
                                        "en": "outgoing flow '{flow}' has no condition and the gateway has no default "
                                              "flow"},
    "script_task.empty": {"fr": "la tâche de script n'a pas de script", "en": "script task has no script"},
    "decision.not_named": {"fr": "la tâche de règle métier ne nomme aucune décision (spiffworkflow:calledDecisionId)",
                           "en": "business rule task names no decision (spiffworkflow:calledDecisionId)"},
    "decision.unknown": {"fr": "la décision « {decision} » ne se trouve dans aucun fichier DMN du processus",
                         "en": "decision '{decision}' is not in any DMN file of the bundle"},
    "service.no_operation": {"fr": "la tâche de service n'appelle aucune opération de casework "
                                   "(spiffworkflow:serviceTaskOperator ; opérations connues : {known})",
                             "en": "service task calls no casework operation (spiffworkflow:serviceTaskOperator; "
                                   "known: {known})"},
    "service.no_operation_vendor": {"fr": "la tâche de service n'appelle aucune opération de casework "
                                          "(spiffworkflow:serviceTaskOperator ; opérations connues : {known}) ; les "
                                          "réglages d'implémentation de {vendor} ne sont pas utilisés",
                                    "en": "service task calls no casework operation (spiffworkflow:serviceTaskOperator;"
                                          " known: {known}); {vendor}'s implementation settings are not used"},
    "service.unknown": {"fr": "opération de service inconnue « {name} » (opérations connues : {known})",
                        "en": "unknown service operation '{name}' (known: {known})"},
    # -- shape of the flow (flow_checks) -------------------------------------------------------------------
    "flow.start_event_kind": {"fr": "le processus commence par un événement « {kinds} » ; casework démarre lui-même "
                                    "un dossier quand une demande est enregistrée : l'événement de début doit être "
                                    "simple (sans symbole)",
                              "en": "the process starts on a {kinds} event; casework starts a case itself when a "
                                    "request is recorded, so the start event must be a plain one (no symbol)"},
    "flow.several_starts": {"fr": "le processus a plusieurs événements de début : n'en gardez qu'un",
                            "en": "the process has several start events; keep one"},
    "flow.no_source": {"fr": "ce flux de séquence ne part d'aucun élément (sourceRef manque) : reliez-le dans le "
                             "modeleur",
                       "en": "this sequence flow starts from no element (no sourceRef): connect it in the modeler"},
    "flow.no_target": {"fr": "ce flux de séquence ne mène à aucun élément (targetRef manque) : reliez-le dans le "
                             "modeleur",
                       "en": "this sequence flow leads to no element (no targetRef): connect it in the modeler"},
    "flow.unknown_source": {"fr": "ce flux de séquence part de « {ref} », qui n'existe pas dans ce processus : une "
                                  "faute de frappe dans sourceRef ?",
                            "en": "this sequence flow starts from '{ref}', which is not in this process: a typo in "
                                  "sourceRef?"},
    "flow.unknown_target": {"fr": "ce flux de séquence mène à « {ref} », qui n'existe pas dans ce processus : une "
                                  "faute de frappe dans targetRef ?",
                            "en": "this sequence flow leads to '{ref}', which is not in this process: a typo in "
                                  "targetRef?"},
    "flow.unreachable": {"fr": "cette étape ne peut jamais être atteinte : aucun flux de séquence n'y mène depuis un "
                               "événement de début",
                         "en": "this step can never be reached: no sequence flow leads to it from a start event"},
    "flow.task_branches": {"fr": "une tâche ne peut avoir qu'un seul flux sortant (celle-ci en a {count}) : ajoutez "
                                 "une passerelle après elle pour créer des branches",
                           "en": "a task may have only one outgoing flow (it has {count}); add a gateway after it "
                                 "to branch"},
    "flow.default_elsewhere": {"fr": "le flux par défaut « {flow} » ne part pas de cet élément",
                               "en": "default flow '{flow}' does not leave this element"},
    "flow.condition_after_task": {"fr": "une condition sur un flux qui sort d'une tâche n'est pas prise en charge : "
                                        "placez une passerelle exclusive après la tâche et la condition sur le flux "
                                        "qui sort de la passerelle",
                                  "en": "a condition on a flow leaving a task is not supported; put an exclusive "
                                        "gateway after the task and the condition on the gateway's flow"},
    "flow.condition_language": {"fr": "la condition est écrite en {language} ; casework évalue les conditions en "
                                      "Python",
                                "en": "the condition is written in {language}; casework evaluates conditions in "
                                      "Python"},
    "flow.interrupting_event_subprocess": {
        "fr": "un sous-processus événementiel interrompant n'est pas pris en charge (SpiffWorkflow laisserait le "
              "flux principal continuer) : rendez son événement de début non interrompant (bordure en pointillés)",
        "en": "an interrupting event subprocess is not supported (SpiffWorkflow would let the main flow go on); "
              "make its start event non-interrupting (dashed border)"},
    # -- timers ----------------------------------------------------------------------------------------------
    "timer.empty": {"fr": "la minuterie n'a ni durée, ni date, ni cycle", "en": "timer has no duration, date or cycle"},
    "timer.does_not_evaluate": {"fr": "la minuterie ({kind}) ne se calcule pas : {error}",
                                "en": "timer {kind} expression does not evaluate: {error}"},
    "timer.not_text": {"fr": "la minuterie ({kind}) doit donner un texte comme \"P7D\", pas une valeur de type {type}",
                       "en": "timer {kind} expression must give text such as \"P7D\", not {type}"},
    "timer.no_offset": {"fr": "la date « {value} » de la minuterie n'indique pas son décalage horaire : ajoutez Z "
                              "(UTC) ou +01:00",
                        "en": "timer date {value!r} has no UTC offset; write Z or +01:00"},
    "timer.bad_duration": {"fr": "la durée « {value} » de la minuterie n'est pas une durée ISO 8601 (par exemple "
                                 "\"P7D\" pour 7 jours)",
                           "en": "timer timeDuration {value!r} is not an ISO 8601 duration"},
    "timer.bad_date": {"fr": "la date « {value} » de la minuterie n'est pas une date ISO 8601 (par exemple "
                             "\"2025-03-01T09:00:00+01:00\")",
                       "en": "timer timeDate {value!r} is not an ISO 8601 timeDate"},
    "timer.bad_cycle": {"fr": "le cycle « {value} » de la minuterie n'est pas un cycle ISO 8601 (par exemple "
                              "\"R3/P7D\" : 3 fois, tous les 7 jours)",
                        "en": "timer timeCycle {value!r} is not an ISO 8601 timeCycle"},
    # -- forms -------------------------------------------------------------------------------------------------
    "form.none": {"fr": "la tâche utilisateur n'a pas de formulaire : indiquez son fichier JSON Schema dans la "
                        "propriété spiffworkflow formJsonSchemaFilename",
                  "en": "user task has no form: name its JSON Schema file in the spiffworkflow property "
                        "formJsonSchemaFilename"},
    "form.none_vendor": {"fr": "la tâche utilisateur n'a pas de formulaire : indiquez son fichier JSON Schema dans la "
                               "propriété spiffworkflow formJsonSchemaFilename (les réglages de formulaire de "
                               "{vendor} ne sont pas utilisés)",
                         "en": "user task has no form: name its JSON Schema file in the spiffworkflow property "
                               "formJsonSchemaFilename ({vendor}'s form settings are not used)"},
    "form.file_missing": {"fr": "le fichier de formulaire forms/{filename} manque parmi les fichiers du processus",
                          "en": "form file forms/{filename} is missing from the bundle"},
    "json.too_deep": {"fr": "imbriqué trop profondément (des centaines de niveaux)",
                      "en": "nested too deeply (hundreds of levels)"},
    "form.not_json": {"fr": "le formulaire n'est pas du JSON valide : {error}", "en": "form is not valid JSON: {error}"},
    "form.bad_schema": {"fr": "le formulaire n'est pas un JSON Schema valide, à l'endroit {where} : {error}",
                        "en": "form is not a valid JSON Schema at {where}: {error}"},
    "form.not_object": {"fr": "le schéma du formulaire doit décrire un objet (\"type\": \"object\")",
                        "en": "form schema must be an object schema (\"type\": \"object\")"},
    "form.required_undefined": {"fr": "le formulaire exige le champ « {name} » sans le définir : personne ne pourrait "
                                      "le remplir",
                                "en": "form requires field '{name}' but does not define it: nobody could fill it in"},
    "form.field_kept": {"fr": "le formulaire doit garder le champ « {name} » : casework l'enregistre à cette étape",
                        "en": "the form must keep the field '{name}': casework records it at this step"},
    # -- expressions and scripts (what is refused, then why) ---------------------------------------------
    "what.condition": {"fr": "la condition", "en": "condition"},
    "what.timer": {"fr": "la minuterie ({kind})", "en": "timer {kind} expression"},
    "what.property": {"fr": "la propriété « {name} »", "en": "property '{name}'"},
    "what.parameter": {"fr": "le paramètre « {name} »", "en": "parameter '{name}'"},
    "what.loop_cardinality": {"fr": "le nombre de répétitions (loopCardinality)", "en": "loopCardinality"},
    "what.completion_condition": {"fr": "la condition de fin (completionCondition)", "en": "completionCondition"},
    "what.script": {"fr": "le script", "en": "script"},
    "what.pre_script": {"fr": "le script avant la tâche (preScript)", "en": "preScript"},
    "what.post_script": {"fr": "le script après la tâche (postScript)", "en": "postScript"},
    "what.dmn_input": {"fr": "l'expression de la colonne d'entrée « {name} »", "en": "input '{name}'"},
    "what.dmn_output_cell": {"fr": "la cellule de sortie de la règle {number}", "en": "rule {number}, output cell"},
    "what.dmn_cell": {"fr": "la cellule", "en": "cell"},
    "expr.empty": {"fr": "{what} est vide", "en": "{what} is empty"},
    "expr.refused": {"fr": "impossible d'utiliser {what} « {text} » : {why}", "en": "{what} {text!r} cannot be used: {why}"},
    "expr.unquoted_timer": {"fr": "{what} « {value} » doit être écrite entre guillemets : \"{value}\" (casework lit "
                                  "les minuteries comme des expressions)",
                            "en": "{what} {value!r} cannot be used: write the value in quotes, like \"{value}\": "
                                  "casework reads timers as expressions"},
    "script.language": {"fr": "{what} est écrit en {language} ; casework n'exécute que des scripts en Python",
                        "en": "{what} is written in {language}; casework runs scripts in Python only"},
    "script.refused": {"fr": "impossible d'utiliser {what} : {why}", "en": "{what} cannot be used: {why}"},
    "hint.juel": {"fr": "c'est une expression Camunda (JUEL) ; casework écrit les expressions en Python, sans ${{ }} : "
                        "écrivez {inner}",
                  "en": "this is a Camunda (JUEL) expression; casework writes expressions in Python without ${{ }}: "
                        "write {inner}"},
    "hint.feel": {"fr": "c'est une expression Camunda 8 (FEEL) ; écrivez-la en Python, sans le « = » du début : {inner}",
                  "en": "this is a Camunda 8 (FEEL) expression; write it in Python without the leading '=': {inner}"},
    "hint.timer_quotes": {"fr": "écrivez la valeur entre guillemets, comme ceci : \"{value}\" (casework lit les "
                                "minuteries comme des expressions)",
                          "en": "write the value in quotes, like \"{value}\": casework reads timers as expressions"},
    "hint.feel_range": {"fr": "les intervalles FEEL comme [18..23] ne sont pas pris en charge : écrivez une "
                              "comparaison avec ? à la place de la valeur d'entrée, par exemple 18 <= ? <= 23",
                        "en": "FEEL ranges such as [18..23] are not supported; write a comparison with ? for the "
                              "input, e.g. 18 <= ? <= 23"},
    "hint.feel_function": {"fr": "les fonctions FEEL ne sont pas prises en charge : écrivez une expression Python, par "
                                 "exemple != \"valeur\" au lieu de not(\"valeur\")",
                           "en": "FEEL functions are not supported; write a Python expression, e.g. != \"value\" "
                                 "instead of not(\"value\")"},
    "syntax.import": {"fr": "importer des modules n'est pas permis dans les expressions et les scripts d'un processus",
                      "en": "importing modules is not allowed in process expressions and scripts"},
    "syntax.dunder": {"fr": "les noms qui commencent par « __ » ne sont pas permis ({detail})",
                      "en": "names starting with '__' are not allowed ({detail})"},
    "syntax.python": {"fr": "ce n'est pas du Python valide (erreur de syntaxe ligne {line} : {error})",
                      "en": "it is not valid Python (syntax error on line {line}: {error})"},
    "syntax.refused": {"fr": "l'environnement protégé des scripts le refuse ({error})", "en": "{error}"},
    # -- failures while running (dry run, migration) -----------------------------------------------------
    "run.expression_fails": {"fr": "l'expression « {expression} » échoue", "en": "the expression {expression!r} fails"},
    "run.because": {"fr": "{head} : {cause}", "en": "{head}: {cause}"},
    "run.unknown_name": {"fr": "« {name} » est utilisé, mais le dossier ne l'a pas encore à ce moment",
                         "en": "it uses '{name}', which the case does not have at this point"},
    "run.missing_key": {"fr": "la clé {key} est cherchée, mais elle manque dans les données à ce moment",
                        "en": "it looks up {key}, which is missing from the data at this point"},
    "run.with_note": {"fr": "{text} ({note})", "en": "{text} ({note})"},
    "run.did_you_mean": {"fr": "vouliez-vous dire {names} ?", "en": "did you mean {names}?"},
    "spiff.refused": {"fr": "SpiffWorkflow ne peut pas utiliser ce processus : {error}",
                      "en": "SpiffWorkflow cannot use this process: {error}"},
    "spiff.invalid": {"fr": "SpiffWorkflow refuse le diagramme : {error}", "en": "{error}"},
    # -- decision tables (DMN) ----------------------------------------------------------------------------
    "dmn.not_dmn": {"fr": "ce n'est pas un fichier DMN (DMN 1.1, 1.2 ou 1.3 attendu, tel que l'exportent les éditeurs "
                          "DMN de Camunda ou de bpmn.io)",
                    "en": "not a DMN file (expected DMN 1.1, 1.2 or 1.3 definitions, as the Camunda or bpmn.io DMN "
                          "editors export)"},
    "dmn.xsd": {"fr": "ce n'est pas une table DMN valide : {error}", "en": "not a valid DMN table: {error}"},
    "dmn.no_decision": {"fr": "le fichier DMN ne contient aucune décision", "en": "the DMN file holds no decision"},
    "dmn.several_decisions": {"fr": "une seule décision par fichier DMN : mettez chaque table de décision dans un "
                                    "fichier à part ({count} décisions ici)",
                              "en": "one decision per DMN file: put each decision table in a file of its own "
                                    "({count} decisions here)"},
    "dmn.not_a_table": {"fr": "seules les tables de décision sont prises en charge (pas d'expression littérale ni de "
                              "graphe d'exigences)",
                        "en": "only decision tables are supported (no literal expressions or requirement graphs)"},
    "dmn.hit_policy": {"fr": "la règle de sélection (hit policy) {policy} n'est pas prise en charge : utilisez UNIQUE, "
                             "FIRST ou COLLECT",
                       "en": "hit policy {policy} is not supported; use UNIQUE, FIRST or COLLECT"},
    "dmn.aggregation": {"fr": "COLLECT avec un calcul (SUM, COUNT, MIN, MAX) n'est pas pris en charge",
                        "en": "COLLECT with an aggregation (SUM, COUNT, MIN, MAX) is not supported"},
    "dmn.output_unnamed": {"fr": "la colonne de sortie n'a pas de nom : le résultat serait enregistré sous un nom vide",
                           "en": "output column has no name: the result would be stored under an empty name"},
    "dmn.no_output": {"fr": "la table de décision n'a aucune colonne de sortie",
                      "en": "decision table has no output column"},
    "dmn.rule_shape": {"fr": "la règle {number} a {inputs} cellule(s) d'entrée et {outputs} de sortie ; la table a "
                             "{input_columns} colonne(s) d'entrée et {output_columns} de sortie",
                       "en": "rule {number} has {inputs} input and {outputs} output cells; the table has "
                             "{input_columns} input and {output_columns} output columns"},
    "dmn.cell_foreign": {"fr": "impossible d'utiliser la cellule d'entrée « {cell} » de la règle {number} : {why}",
                         "en": "rule {number}, input cell {cell!r} cannot be used: {why}"},
    "dmn.cell_invalid": {"fr": "impossible d'utiliser la cellule d'entrée « {cell} » de la règle {number} : ce n'est "
                               "ni une valeur (12, \"texte\", True) ni une comparaison (> 23, != \"non\", "
                               "18 <= ? <= 23)",
                         "en": "rule {number}, input cell {cell!r} cannot be used: it is neither a value (12, \"text\", "
                               "True) nor a comparison (> 23, != \"no\", 18 <= ? <= 23)"},
    "dmn.output_needs_quotes": {"fr": "{problem} (les textes s'écrivent entre guillemets : \"oui\")",
                                "en": "{problem} (texts need quotes: \"yes\")"},
    # -- dry run -----------------------------------------------------------------------------------------------
    "dryrun.needs_valid_bundle": {"fr": "le parcours à blanc demande des fichiers sans problème : corrigez-les d'abord",
                                  "en": "the dry run needs a bundle without problems; fix them first"},
    "dryrun.property_fails": {"fr": "la propriété « {name} » ({expression}) échoue pendant le parcours à blanc : "
                                    "{reason}",
                              "en": "property '{name}' ({expression}) fails in the dry run: {reason}"},
    "check.name_unset": {"fr": "la condition du flux vers « {target} » ({expression}) lit « {name} », que rien dans le "
                               "processus ne définit (formulaire, décision, script, données de départ) : le premier "
                               "dossier qui prendra ce chemin s'arrêtera là{hint}",
                         "en": "the condition of the flow to '{target}' ({expression}) reads '{name}', which nothing "
                               "in the process sets (form, decision, script, start data): the first case to take "
                               "this path will stop there{hint}"},
    "check.hint": {"fr": " ; vouliez-vous dire {names} ?", "en": "; did you mean {names}?"},
    "dryrun.failed": {"fr": "le parcours à blanc a échoué : {reason}", "en": "the dry run failed: {reason}"},
    "dryrun.endless": {"fr": "le parcours à blanc n'a pas atteint de fin après {steps} étapes : le processus tourne "
                             "peut-être en rond",
                       "en": "the dry run did not reach an end after {steps} steps: the process may loop forever"},
    "dryrun.answers_incomplete": {"fr": "{element} : le parcours à blanc n'a pas pu inventer des réponses tout à fait "
                                        "valides ({errors})",
                                  "en": "{element}: the dry run could not make up fully valid answers ({errors})"},
    "dryrun.message_not_caught": {"fr": "le message « {name} » n'est pas attendu par ce diagramme au départ",
                                  "en": "message '{name}' is not caught by this diagram at the start"},
    "dryrun.stops": {"fr": "le parcours à blanc s'arrête ici : le processus attend quelque chose que casework ne "
                           "simule pas ({waiting})",
                     "en": "the dry run stops here: the process waits for something casework does not simulate "
                           "({waiting})"},
    "dryrun.timer_fired": {"fr": "déclenchée à son échéance", "en": "fired when due"},
    # -- versions and migration --------------------------------------------------------------------------
    "diff.type": {"fr": "type : {old} → {new}", "en": "type: {old} → {new}"},
    "diff.name": {"fr": "nom : {old} → {new}", "en": "name: {old} → {new}"},
    "diff.name_en": {"fr": "nom en anglais : {old} → {new}", "en": "English name: {old} → {new}"},
    "diff.timer": {"fr": "minuterie : {old} → {new}", "en": "timer: {old} → {new}"},
    "diff.flow_condition": {"fr": "condition vers « {target} » : {old} → {new}",
                            "en": "condition to '{target}': {old} → {new}"},
    "diff.property": {"fr": "{key} : {old} → {new}", "en": "{key}: {old} → {new}"},
    "diff.form_edited": {"fr": "formulaire {form} modifié", "en": "form {form} edited"},
    "diff.extensions": {"fr": "extensions (appel de service, décision, scripts)",
                        "en": "extensions (service call, decision, scripts)"},
    "diff.other": {"fr": "{name}", "en": "{name}"},
    "diff.lane": {"fr": "couloir", "en": "lane"},
    "diff.event_definition": {"fr": "événement (minuterie, message…)", "en": "event (timer, message...)"},
    "diff.cond_task_specs": {"fr": "conditions de ses flux", "en": "conditions of its flows"},
    "diff.default_task_spec": {"fr": "flux par défaut", "en": "default flow"},
    "diff.script": {"fr": "script", "en": "script"},
    "diff.prescript": {"fr": "script avant", "en": "script before"},
    "diff.postscript": {"fr": "script après", "en": "script after"},
    "diff.decision_table": {"fr": "table de décision", "en": "decision table"},
    "diff.operation_name": {"fr": "opération de service", "en": "service operation"},
    "diff.operation_params": {"fr": "paramètres du service", "en": "service parameters"},
    "diff.outputs": {"fr": "flux sortants", "en": "outgoing flows"},
    "diff.inputs": {"fr": "flux entrants", "en": "incoming flows"},
    "diff.cancel_activity": {"fr": "interrompant ou non", "en": "interrupting or not"},
    "diff.data_input": {"fr": "entrée des instances multiples", "en": "multi-instance input"},
    "diff.data_output": {"fr": "sortie des instances multiples", "en": "multi-instance output"},
    "diff.cardinality": {"fr": "nombre d'instances multiples", "en": "multi-instance count"},
    "diff.condition": {"fr": "condition de fin", "en": "completion condition"},
    "diff.documentation": {"fr": "documentation", "en": "documentation"},
    "diff.typename": {"fr": "type", "en": "type"},
    "migrate.finished": {"fr": "le processus de ce dossier est terminé", "en": "the case's process is finished"},
    "migrate.other_process": {"fr": "la version cible est celle d'un autre processus",
                              "en": "the target is another process"},
    "migrate.already_on": {"fr": "le dossier est déjà en version {number}", "en": "the case is already on version {number}"},
    "migrate.subprocess_removed": {"fr": "la nouvelle version n'a plus le sous-processus « {name} » où se trouve ce "
                                         "dossier",
                                   "en": "the new version no longer has the subprocess '{name}' this case is in"},
    "migrate.went_through": {"fr": "le dossier est passé par « {step} », que la nouvelle version supprime",
                             "en": "the case went through '{step}', which the new version removes"},
    "migrate.is_at": {"fr": "le dossier est à l'étape « {step} », que la nouvelle version supprime",
                      "en": "the case is at '{step}', which the new version removes"},
    "migrate.leftover": {"fr": "le dossier contient une étape « {step} » que la nouvelle version n'a plus",
                         "en": "the case holds a step '{step}' that the new version no longer has"},
    "migrate.would_fail": {"fr": "le dossier échouerait sur la nouvelle version : {reason}",
                           "en": "the case would fail on the new version: {reason}"},
    "migrate.timer_restarts": {"fr": "la minuterie « {name} » repart de zéro : échéance le {due} au lieu du {before}",
                               "en": "timer '{name}' starts again: due {due} instead of {before}"},
    "migrate.timer_set": {"fr": "la minuterie « {name} » est lancée : échéance le {due}",
                          "en": "timer '{name}' is set: due {due}"},
    "migrate.would_run": {"fr": "l'étape « {step} » serait exécutée ({operation})", "en": "'{step}' would run ({operation})"},
}


def render(code: str, params: Mapping[str, Any], locale: str = DEFAULT_LOCALE) -> str:
    """The text of `code` in `locale` (French when the locale is unknown). Raises KeyError on an unknown code."""
    templates = TEXTS[code]
    template = templates.get(locale) or templates[DEFAULT_LOCALE]
    return template.format(**{name: _said(value, locale) for name, value in params.items()})


def _said(value: Any, locale: str) -> Any:
    if isinstance(value, (Message, Alternatives)):
        return value.text(locale)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_said(item, locale)) for item in value)
    return value


class Message(str):
    """A text for people: its `str` value is English; `text(locale)` says it in French or English."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, params: Mapping[str, Any] | None = None) -> Message:
        params = dict(params or {})
        self = super().__new__(cls, render(code, params, "en"))
        self.code, self.params = code, params
        return self

    def __reduce__(self):  # copy, deepcopy and pickle rebuild it from its code (str's own would lose it)
        return Message, (self.code, self.params)

    def text(self, locale: str = DEFAULT_LOCALE) -> str:
        return render(self.code, self.params, locale)


def say(code: str, **params: Any) -> Message:
    """A message from the catalogue. Raises KeyError on an unknown code (a programming error)."""
    return Message(code, params)


def localized(value: Any, locale: str = DEFAULT_LOCALE) -> str:
    """`value` said in `locale` when it knows how (a Message, a Problem), else as it is."""
    text = getattr(value, "text", None)
    return text(locale) if callable(text) else str(value)


class Alternatives(tuple):
    """Words said as alternatives: "'a', 'b'" in English (as the libraries say them), "a, b ou c" in French."""

    def text(self, locale: str = DEFAULT_LOCALE) -> str:
        words = [str(_said(item, locale)) for item in self]
        if locale == "en" or len(words) < 2:
            return ", ".join(words)
        return ", ".join(words[:-1]) + " ou " + words[-1]
