/** Charts as plain data and the ECharts options that draw them, shared by the app and the reports. */
export * from './chartModel';
export * from './colors';
export * from './lineChartOption';
export * from './bandChart';
export * from './summandChartOption';
export * from './intervalBarOption';
