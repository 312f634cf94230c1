// The analysts' BPMN editor (web/studio/templates/studio/editor.html): bpmn-js modeler, the standard
// properties panel, and a « Guichet » group writing what the engine reads into the spiffworkflow:
// namespace (SpiffWorkflow's parser reads spiffworkflow:properties and spiffworkflow:serviceTaskOperator).
// Built by `make studio-assets` into web/static/studio/ ; nothing here runs eval or inline styles.

import BpmnModeler from 'bpmn-js/lib/Modeler';
import { is, getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  useService
} from 'bpmn-js-properties-panel';
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useState } from '@bpmn-io/properties-panel/preact/hooks';

import spiffworkflow from './spiffworkflow.json';
import { durationText } from './duration.js';

let CHOICES = { groups: [], forms: [], operations: [] };

// The texts, in the page's language: editor.html gives them as JSON in data-texts (web/studio/editor_texts.py).
let TEXTS = {};

// TEXTS[key] with its %(name)s / %(name)d placeholders filled from `values`.
function t(key, values) {
  const text = Object.prototype.hasOwnProperty.call(TEXTS, key) ? TEXTS[key] : key;
  return text.replace(/%\((\w+)\)[sd]/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
}

// The plural form as French chooses it (one for 1, many above): `key_one` / `key_many`.
function tn(key, count, values) {
  return t(count > 1 ? `${key}_many` : `${key}_one`, { num: count, ...values });
}

// --- spiffworkflow:properties helpers -------------------------------------------------------------

function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:Participant')) {
    return bo.get('processRef');
  }
  return bo;
}

function propertiesOf(bo) {
  const ext = bo && bo.get('extensionElements');
  if (!ext) {
    return null;
  }
  return (ext.get('values') || []).find((v) => is(v, 'spiffworkflow:Properties')) || null;
}

function getProperty(bo, name) {
  const props = propertiesOf(bo);
  const prop = props && props.get('properties').find((p) => p.get('name') === name);
  return prop ? prop.get('value') || '' : '';
}

function setProperty(element, bo, name, value, modeling, bpmnFactory) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  let props = propertiesOf(bo);
  if (!props) {
    props = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    modeling.updateModdleProperties(element, ext, { values: [ ...ext.get('values'), props ] });
  }
  const existing = props.get('properties').find((p) => p.get('name') === name);
  if (!value) {
    if (existing) {
      modeling.updateModdleProperties(element, props, {
        properties: props.get('properties').filter((p) => p !== existing)
      });
    }
    return;
  }
  if (existing) {
    modeling.updateModdleProperties(element, existing, { value });
  } else {
    const prop = bpmnFactory.create('spiffworkflow:Property', { name, value });
    modeling.updateModdleProperties(element, props, { properties: [ ...props.get('properties'), prop ] });
  }
}

function operatorOf(bo) {
  const ext = bo.get('extensionElements');
  return ext ? (ext.get('values') || []).find((v) => is(v, 'spiffworkflow:ServiceTaskOperator')) : null;
}

// --- entries --------------------------------------------------------------------------------------

function PropertyText(props) {
  const { element, id, name, label, description, area, target, preview } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = target(element);
  const getValue = () => getProperty(bo, name);
  const setValue = (value) => setProperty(element, bo, name, (value || '').trim() ? value : '', modeling, bpmnFactory);
  const text = preview ? preview(getValue()) : description;
  return h(area ? TextAreaEntry : TextFieldEntry, {
    element, id, label, description: text, getValue, setValue, debounce, rows: area ? 4 : undefined
  });
}

function PropertySelect(props) {
  const { element, id, name, label, description, options, target } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const bo = target(element);
  const getValue = () => getProperty(bo, name);
  const setValue = (value) => setProperty(element, bo, name, value, modeling, bpmnFactory);
  const getOptions = () => withCurrent(options(), getValue());
  return h(SelectEntry, { element, id, label, description, getValue, setValue, getOptions });
}

function withCurrent(options, current) {
  const list = [ { value: '', label: t('choose') }, ...options ];
  if (current && !options.some((o) => o.value === current)) {
    list.push({ value: current, label: t('unknown', { value: current }) });
  }
  return list;
}

function LaneGroup(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const getValue = () => getBusinessObject(element).get('name') || '';
  const setValue = (value) => modeling.updateProperties(element, { name: value });
  const getOptions = () => withCurrent(CHOICES.groups.map((g) => ({ value: g, label: g })), getValue());
  return h(SelectEntry, {
    element, id, label: t('lane_label'), getValue, setValue, getOptions,
    description: t('lane_help')
  });
}

function ServiceOperation(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const bo = getBusinessObject(element);
  const getValue = () => {
    const operator = operatorOf(bo);
    return operator ? operator.get('id') || '' : '';
  };
  const setValue = (value) => {
    let ext = bo.get('extensionElements');
    if (!ext) {
      ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
      modeling.updateModdleProperties(element, bo, { extensionElements: ext });
    }
    const operator = operatorOf(bo);
    if (operator) {
      modeling.updateModdleProperties(element, operator, { id: value });
    } else {
      const created = bpmnFactory.create('spiffworkflow:ServiceTaskOperator', {
        id: value,
        parameterList: bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] })
      });
      modeling.updateModdleProperties(element, ext, { values: [ ...ext.get('values'), created ] });
    }
  };
  const getOptions = () => withCurrent(
    CHOICES.operations.map((o) => ({ value: o.id, label: o.description ? `${o.id} — ${o.description}` : o.id })),
    getValue()
  );
  const description = t('operation_help');
  return h(SelectEntry, { element, id, label: t('operation_label'), description, getValue, setValue, getOptions });
}

function ParameterText(props) {
  const { element, id, param } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const getValue = () => param.get('value') || '';
  const setValue = (value) => modeling.updateModdleProperties(element, param, { value: value || '' });
  return h(TextFieldEntry, {
    element, id, label: t('param_label', { name: param.get('id') }), getValue, setValue, debounce,
    description: t('param_help')
  });
}

function parametersOf(operator) {
  const list = operator && operator.get('parameterList');
  return list ? list.get('parameters') : [];
}

// Removes one spiffworkflow:parameter from the operator's spiffworkflow:parameters (one command).
function ParameterRemove(props) {
  const { element, id, param } = props;
  const modeling = useService('modeling');
  const remove = () => {
    const list = operatorOf(getBusinessObject(element)).get('parameterList');
    modeling.updateModdleProperties(element, list, {
      parameters: list.get('parameters').filter((p) => p !== param)
    });
  };
  return h('div', { class: 'bio-properties-panel-entry guichet-param-remove', 'data-entry-id': id },
    h('button', { type: 'button', id: `bio-properties-panel-${id}`, class: 'guichet-button', onClick: remove },
      t('param_remove', { name: param.get('id') })));
}

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Adds a spiffworkflow:parameter (name + expression) to the operator, creating its
// spiffworkflow:parameters if needed; the names the operation's signature takes are offered.
function ParameterAdd(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const [ name, setName ] = useState('');
  const [ value, setValue ] = useState('');
  const [ error, setError ] = useState('');
  const operator = operatorOf(getBusinessObject(element));
  const present = parametersOf(operator).map((p) => p.get('id'));
  const operation = CHOICES.operations.find((o) => o.id === operator.get('id'));
  const offered = ((operation && operation.parameters) || []).filter((n) => !present.includes(n));
  const add = () => {
    const wanted = name.trim();
    if (!PARAMETER_NAME.test(wanted)) {
      setError(t('param_bad_name'));
      return;
    }
    if (present.includes(wanted)) {
      setError(t('param_exists', { name: wanted }));
      return;
    }
    if (!value.trim()) {
      setError(t('param_no_value'));
      return;
    }
    const param = bpmnFactory.create('spiffworkflow:Parameter', { id: wanted, type: 'str', value });
    let list = operator.get('parameterList');
    if (!list) {
      list = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [] });
      modeling.updateModdleProperties(element, operator, { parameterList: list });
    }
    modeling.updateModdleProperties(element, list, { parameters: [ ...list.get('parameters'), param ] });
    setName('');
    setValue('');
    setError('');
  };
  const field = (suffix, label, current, set, extra) => [
    h('label', { for: `bio-properties-panel-${id}-${suffix}`, class: 'bio-properties-panel-label' }, label),
    h('input', {
      id: `bio-properties-panel-${id}-${suffix}`, class: 'bio-properties-panel-input', type: 'text',
      spellcheck: false, autocomplete: 'off', value: current, onInput: (e) => set(e.target.value), ...extra
    })
  ];
  const hint = offered.length
    ? t('param_offered', { names: offered.join(', ') })
    : t('param_hint');
  return h('div', { class: 'bio-properties-panel-entry guichet-param-add', 'data-entry-id': id },
    ...field('name', t('param_new_name'), name, setName, { list: `${id}-names` }),
    h('datalist', { id: `${id}-names` }, offered.map((n) => h('option', { value: n }))),
    h('div', { class: 'bio-properties-panel-description' }, hint),
    ...field('value', t('param_new_value'), value, setValue, {}),
    error ? h('div', { class: 'bio-properties-panel-error', role: 'alert' }, error) : null,
    h('button', { type: 'button', id: `bio-properties-panel-${id}-button`, class: 'guichet-button', onClick: add },
      t('param_add')));
}

function timerExpression(element) {
  const bo = getBusinessObject(element);
  const definition = (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
  if (!definition) {
    return null;
  }
  for (const kind of [ 'timeDuration', 'timeDate', 'timeCycle' ]) {
    if (definition.get(kind)) {
      return { definition, kind, expression: definition.get(kind) };
    }
  }
  return { definition, kind: 'timeDuration', expression: null };
}

function TimerEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const getValue = () => {
    const timer = timerExpression(element);
    return timer && timer.expression ? timer.expression.get('body') || '' : '';
  };
  const setValue = (value) => {
    const timer = timerExpression(element);
    if (timer.expression) {
      modeling.updateModdleProperties(element, timer.expression, { body: value });
    } else {
      const expression = bpmnFactory.create('bpmn:FormalExpression', { body: value });
      modeling.updateModdleProperties(element, timer.definition, { [timer.kind]: expression });
    }
  };
  const timer = timerExpression(element);
  const kind = t(`timer_${timer.kind}`);
  const description = timerPreview(getValue());
  return h(TextFieldEntry, {
    element, id, label: t('timer_label', { kind }), description, getValue, setValue, debounce
  });
}

function timerPreview(expression) {
  const match = /P(?=\d|T\d)[0-9YMWDTHS]+/.exec(expression || '');
  if (!match) {
    return t('timer_example');
  }
  return t('duration_preview', { value: match[0], words: durationText(match[0], tn, t) });
}

function ConditionEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const getValue = () => (bo.get('conditionExpression') ? bo.get('conditionExpression').get('body') || '' : '');
  const setValue = (value) => {
    if (!value) {
      modeling.updateProperties(element, { conditionExpression: undefined });
    } else if (bo.get('conditionExpression')) {
      modeling.updateModdleProperties(element, bo.get('conditionExpression'), { body: value });
    } else {
      modeling.updateProperties(element, {
        conditionExpression: bpmnFactory.create('bpmn:FormalExpression', { body: value })
      });
    }
  };
  return h(TextFieldEntry, {
    element, id, label: t('condition_label'), getValue, setValue, debounce,
    description: t('condition_help')
  });
}

function ProcessTitle(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const process = processOf(element);
  const getValue = () => process.get('name') || '';
  const setValue = (value) => modeling.updateModdleProperties(element, process, { name: value });
  return h(TextFieldEntry, {
    element, id, label: t('title_label'), getValue, setValue, debounce,
    description: t('title_help')
  });
}

// --- provider ---------------------------------------------------------------------------------------

const edited = { select: isSelectEntryEdited, text: isTextFieldEntryEdited, area: isTextAreaEntryEdited };

function entriesFor(element) {
  const bo = getBusinessObject(element);
  const self = (el) => getBusinessObject(el);
  if (is(bo, 'bpmn:Process') || (is(bo, 'bpmn:Participant') && bo.get('processRef'))) {
    const target = processOf;
    return [
      { id: 'guichet-title', component: ProcessTitle, isEdited: edited.text },
      { id: 'guichet-description', component: (p) => PropertyText({ ...p, name: 'description', label: t('description_label'), area: true, target }), isEdited: edited.area },
      { id: 'guichet-rubrique', component: (p) => PropertyText({ ...p, name: 'rubrique', label: t('rubrique_label'), description: t('rubrique_help'), target }), isEdited: edited.text },
      { id: 'guichet-duree', component: (p) => PropertyText({ ...p, name: 'dureeMaximale', label: t('duration_label'), target, preview: (v) => (v ? t('duration_preview', { value: v, words: durationText(v, tn, t) }) : t('duration_required')) }), isEdited: edited.text },
      { id: 'guichet-pieces', component: (p) => PropertyText({ ...p, name: 'piecesAFournir', label: t('pieces_label'), area: true, description: t('pieces_help'), target }), isEdited: edited.area },
      { id: 'guichet-aide', component: (p) => PropertyText({ ...p, name: 'aideSaisie', label: t('help_label'), area: true, description: t('help_help'), target }), isEdited: edited.area }
    ];
  }
  if (is(bo, 'bpmn:Lane')) {
    return [ { id: 'guichet-lane', component: LaneGroup, isEdited: edited.select } ];
  }
  if (is(bo, 'bpmn:UserTask')) {
    return [
      { id: 'guichet-formKey', component: (p) => PropertySelect({ ...p, name: 'formKey', label: t('form_label'), description: t('form_help'), options: () => CHOICES.forms.map((f) => ({ value: f, label: f })), target: self }), isEdited: edited.select },
      { id: 'guichet-statusLabel', component: (p) => PropertyText({ ...p, name: 'statusLabel', label: t('status_label'), description: t('status_help'), target: self }), isEdited: edited.text }
    ];
  }
  if (is(bo, 'bpmn:ServiceTask')) {
    const operator = operatorOf(bo);
    const params = parametersOf(operator);
    return [
      { id: 'guichet-operation', component: ServiceOperation, isEdited: edited.select },
      ...params.flatMap((param) => [
        {
          id: `guichet-param-${param.get('id')}`,
          component: (p) => ParameterText({ ...p, param }),
          isEdited: edited.text
        },
        {
          id: `guichet-param-${param.get('id')}-remove`,
          component: (p) => ParameterRemove({ ...p, param })
        }
      ]),
      ...(operator ? [ { id: 'guichet-param-new', component: ParameterAdd } ] : [])
    ];
  }
  if (is(bo, 'bpmn:Event') && timerExpression(element)) {
    return [ { id: 'guichet-timer', component: TimerEntry, isEdited: edited.text } ];
  }
  if (is(bo, 'bpmn:SequenceFlow') && bo.get('sourceRef') && is(bo.get('sourceRef'), 'bpmn:Gateway')) {
    return [ { id: 'guichet-condition', component: ConditionEntry, isEdited: edited.text } ];
  }
  return [];
}

function GuichetPropertiesProvider(propertiesPanel) {
  propertiesPanel.registerProvider(400, this);
}
GuichetPropertiesProvider.$inject = [ 'propertiesPanel' ];
GuichetPropertiesProvider.prototype.getGroups = function(element) {
  return (groups) => {
    const entries = entriesFor(element).map((entry) => ({ ...entry, element }));
    if (entries.length) {
      groups.splice(Math.min(1, groups.length), 0, { id: 'guichet', label: 'Guichet', entries });
    }
    return groups;
  };
};

const GuichetModule = {
  __init__: [ 'guichetPropertiesProvider' ],
  guichetPropertiesProvider: [ 'type', GuichetPropertiesProvider ]
};

// --- page -------------------------------------------------------------------------------------------

function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : '';
}

async function post(url, xml) {
  const body = new FormData();
  body.append('bpmn', xml);
  body.append('csrf_token', csrfToken());
  const response = await fetch(url, {
    method: 'POST', body, headers: { Accept: 'application/json', 'X-CSRFToken': csrfToken() }, credentials: 'same-origin'
  });
  return response.json();
}

function start(root) {
  TEXTS = JSON.parse(root.dataset.texts || '{}');
  const status = root.querySelector('[data-studio-status]');
  const saveButton = root.querySelector('[data-studio-save]');
  const problemsBox = document.querySelector('[data-studio-problems]');
  const xmlArea = document.querySelector('#bpmn');
  const say = (message) => { status.textContent = message; };

  const modeler = new BpmnModeler({
    container: root.querySelector('[data-studio-canvas]'),
    propertiesPanel: { parent: root.querySelector('[data-studio-panel]') },
    additionalModules: [ BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, GuichetModule ],
    moddleExtensions: { spiffworkflow }
  });
  window.guichetStudio = modeler; // for the browser tests and the console

  let marked = [];
  function showProblems(result) {
    const canvas = modeler.get('canvas');
    const overlays = modeler.get('overlays');
    const registry = modeler.get('elementRegistry');
    marked.forEach((id) => { if (registry.get(id)) { canvas.removeMarker(id, 'studio-problem'); } });
    overlays.remove({ type: 'studio-problem' });
    marked = [];
    problemsBox.textContent = '';
    const head = document.createElement('p');
    head.className = result.ok ? 'studio-ok' : 'studio-ko';
    head.textContent = result.ok ? t('ok') : tn('problems', result.problems.length);
    problemsBox.appendChild(head);
    if (!result.problems.length) {
      showNotes(result);
      return;
    }
    const list = document.createElement('ol');
    list.className = 'studio-problems';
    list.id = 'problemes';
    result.problems.forEach((problem) => {
      const item = document.createElement('li');
      item.dataset.elementId = problem.element || '';
      const shape = problem.element && registry.get(problem.element);
      if (shape) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'link-button';
        button.textContent = problem.message;
        button.addEventListener('click', () => {
          modeler.get('selection').select(shape);
          canvas.scrollToElement(shape);
          root.querySelector('[data-studio-panel]').focus();
        });
        item.appendChild(button);
        if (!marked.includes(problem.element)) {
          canvas.addMarker(problem.element, 'studio-problem');
          overlays.add(problem.element, 'studio-problem', {
            position: { top: -12, right: 12 }, html: '<span class="studio-marker" aria-hidden="true">!</span>'
          });
          marked.push(problem.element);
        }
      } else {
        item.textContent = problem.message;
      }
      list.appendChild(item);
    });
    problemsBox.appendChild(list);
    showNotes(result);
  }

  function showNotes(result) {
    if (result.notes && result.notes.length) {
      const details = document.createElement('details');
      details.className = 'studio-notes';
      const summary = document.createElement('summary');
      summary.textContent = tn('notes', result.notes.length);
      const notes = document.createElement('ul');
      result.notes.forEach((note) => {
        const item = document.createElement('li');
        item.textContent = note.message;
        notes.appendChild(item);
      });
      details.append(summary, notes);
      problemsBox.appendChild(details);
    }
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  let timer = null;
  let dirty = false;
  modeler.on('commandStack.changed', () => {
    dirty = true;
    say(t('unsaved'));
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const xml = await currentXml();
      xmlArea.value = xml;
      showProblems(await post(root.dataset.validateUrl, xml));
    }, 600);
  });

  saveButton.hidden = false;
  saveButton.addEventListener('click', async () => {
    saveButton.disabled = true;
    try {
      const xml = await currentXml();
      xmlArea.value = xml;
      const result = await post(root.dataset.saveUrl, xml);
      if (result.saved) {
        dirty = false;
        say(t('saved'));
        showProblems(result);
      } else {
        say(result.error || t('save_failed'));
      }
    } catch (error) {
      say(t('save_offline'));
    } finally {
      saveButton.disabled = false;
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty) {
      event.preventDefault();
    }
  });

  (async () => {
    try {
      const [ choices, source ] = await Promise.all([
        fetch(root.dataset.choicesUrl, { credentials: 'same-origin' }).then((r) => r.json()),
        fetch(root.dataset.xmlUrl, { credentials: 'same-origin' }).then((r) => r.text())
      ]);
      CHOICES = choices;
      const { warnings } = await modeler.importXML(source);
      modeler.get('canvas').zoom('fit-viewport');
      say(warnings.length ? t('opened_warnings', { num: warnings.length }) : t('opened'));
      showProblems(await post(root.dataset.validateUrl, source));
      root.dataset.ready = 'true';
    } catch (error) {
      say(t('open_failed'));
      root.dataset.ready = 'error';
    }
  })();
}

const root = document.querySelector('[data-studio-editor]');
if (root) {
  start(root);
}
