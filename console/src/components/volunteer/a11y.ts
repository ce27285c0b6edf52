import type { Directive } from "vue";

/** Element Plus's cascader sets aria-expanded on its input without a role
 *  that allows it (axe: aria-allowed-attr, critical), and passes neither
 *  aria-label nor aria-describedby on to that input.  `v-combobox` on an
 *  element around the cascader (its own root is a tooltip, where a
 *  directive does not apply) gives the input the role its behaviour has, a
 *  combobox, and the help text's id when one is given
 *  (`v-combobox="'apply-procuratorate-help'"`). */
export const vCombobox: Directive<HTMLElement, string | undefined> = {
  mounted(el, binding) {
    const input = el.querySelector("input");
    input?.setAttribute("role", "combobox");
    if (!input?.hasAttribute("aria-expanded")) input?.setAttribute("aria-expanded", "false");
    if (binding.value) input?.setAttribute("aria-describedby", binding.value);
  },
};
